"""The rules behind self-service and operator changes: usage grouping, key expiry and why a
key is refused, an admin's changes to a user, and the usage cursor."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from switchboard.adapters.aws.cursors import encode_cursor
from switchboard.adapters.aws.owner_pages import _decode
from switchboard.adapters.aws.usage import decode_entry_cursor
from switchboard.domain.account_changes import UserChanges
from switchboard.domain.accounts import Role, User
from switchboard.domain.key_issuance import issue_key, key_expiry
from switchboard.domain.limits import RateLimits
from switchboard.domain.usage import UserUsageRow, group_rows, parse_group, total
from switchboard.errors import InvalidRequestError

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def row(day: int, app: str | None, model: str, cost: int) -> UserUsageRow:
    return UserUsageRow(date(2026, 11, day), app, model, 10, 6, 4, cost, 1)


ROWS = [row(2, "app_b", "m1", 5), row(1, None, "m2", 7), row(1, "app_a", "m1", 1_000_001)]


def test_rows_group_by_day_model_and_app() -> None:
    assert [(r["date"], r["cost"], r["requests"]) for r in group_rows(ROWS, "day")] == [
        ("2026-11-01", "1.000008", 2), ("2026-11-02", "0.000005", 1)]  # fmt: skip
    by_model = [(r["model"], r["tokens"]) for r in group_rows(ROWS, "model")]
    assert by_model == [("m1", 20), ("m2", 10)]
    assert [r["app_id"] for r in group_rows(ROWS, "app")] == ["app_a", "app_b", None]
    assert total(ROWS) == {"tokens": 30, "prompt_tokens": 18, "completion_tokens": 12,
                           "cost": "1.000013", "requests": 3}  # fmt: skip
    assert group_rows([], "day") == [] and total([])["cost"] == "0.000000"


@pytest.mark.parametrize("raw", ["week", "Day", " day"])
def test_unknown_groups_are_refused(raw: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_group(raw)
    assert refused.value.param == "groupBy"
    assert parse_group(None) == "day"


def test_key_expiry() -> None:
    assert key_expiry(NOW) is None
    assert key_expiry(NOW, expires_in_days=30) == NOW + timedelta(days=30)
    at = int((NOW + timedelta(hours=1)).timestamp())
    assert key_expiry(NOW, expires_at=at) == NOW + timedelta(hours=1)
    for bad in ({"expires_in_days": 0}, {"expires_in_days": 3651},
                {"expires_at": int(NOW.timestamp())},
                {"expires_at": int((NOW + timedelta(days=3651)).timestamp())},
                {"expires_at": at, "expires_in_days": 1}):  # fmt: skip
        with pytest.raises(InvalidRequestError):
            key_expiry(NOW, **bad)  # type: ignore[arg-type]


def test_why_a_key_is_refused() -> None:
    key = issue_key(user_id="usr_1", name="k", prefix="sb_", now=NOW,
                    expires_at=NOW + timedelta(days=1)).record  # fmt: skip
    later = NOW + timedelta(days=1)
    assert key.refusal(NOW) is None and key.refusal(later) == "expired"
    assert replace(key, disabled=True).refusal(NOW) == "disabled"
    assert replace(key, revoked_at=NOW, disabled=True).refusal(NOW) == "revoked"


def test_an_admins_changes_apply_and_count_a_revision() -> None:
    user = User("usr_1", "a@example.com", "A", "B", Role.USER, "maker", NOW, RateLimits(1, 2))
    changed = UserChanges(plan="builder", role=Role.ADMIN, disabled=True).applied(user)
    assert (changed.plan, changed.role, changed.disabled, changed.revision) == (
        "builder", Role.ADMIN, True, 1)  # fmt: skip
    assert changed.limits == RateLimits(1, 2)
    assert UserChanges(clear_limits=True).applied(changed).limits is None
    assert UserChanges(disabled=False).applied(changed).disabled is False


def test_cursors_round_trip_and_refuse_what_they_did_not_give() -> None:
    entry = "20261130T120000000000Z-0123456789ab"
    assert decode_entry_cursor(encode_cursor(entry)) == entry
    sort_key = "2026-11-30T12:00:00+00:00#key_0123"
    assert _decode(encode_cursor(sort_key)) == sort_key
    for bad in ("", "%%", encode_cursor("no-hash"), encode_cursor("a#~")):
        with pytest.raises(InvalidRequestError):
            _decode(bad or "=")
