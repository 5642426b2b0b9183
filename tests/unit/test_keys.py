"""API keys: format, entropy, hashing, usability."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from switchboard.domain.key_issuance import issue_key
from switchboard.domain.keys import hash_key

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_issued_keys_are_prefixed_random_and_stored_as_hash() -> None:
    keys = [issue_key(user_id="u", name="k", prefix="sb_", now=NOW) for _ in range(50)]
    secrets = {k.secret for k in keys}
    assert len(secrets) == 50
    for key in keys:
        assert key.secret.startswith("sb_")
        assert len(key.secret) - 3 >= 43  # 32 random bytes, url-safe base64: 256 bits
        assert key.record.key_hash == hash_key(key.secret) != key.secret
        assert key.record.prefix == "sb_" and key.record.last4 == key.secret[-4:]
        assert key.secret not in repr(key)


def test_custom_prefix_and_chosen_secret() -> None:
    assert issue_key(user_id="u", name="k", prefix="acme-", now=NOW).secret.startswith("acme-")
    chosen = issue_key(user_id="u", name="k", prefix="sb_", now=NOW, secret="dev-key")
    assert chosen.secret == "dev-key" and chosen.record.key_hash == hash_key("dev-key")


def test_revoked_and_expired_keys_are_not_usable() -> None:
    record = issue_key(user_id="u", name="k", prefix="sb_", now=NOW).record
    assert record.is_usable(NOW)
    assert not replace(record, revoked_at=NOW).is_usable(NOW)
    assert replace(record, revoked_at=NOW + timedelta(hours=1)).is_usable(NOW)
    assert not replace(record, expires_at=NOW).is_usable(NOW)
    assert replace(record, expires_at=NOW + timedelta(seconds=1)).is_usable(NOW)
