"""API keys: how they are made, stored (only as a hash) and judged usable.

A key is `<prefix><43 url-safe characters>`: 256 random bits. Keys carry that much
entropy, so a plain SHA-256 is the right hash: it cannot be brute-forced, and lookup stays
one read by hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import ALL_SCOPES

KEY_RANDOM_BYTES = 32


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    key_hash: str
    user_id: str
    name: str
    prefix: str
    last4: str
    created_at: datetime
    scopes: tuple[str, ...] = (ALL_SCOPES,)
    role: str = "user"
    plan: str = "maker"
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    limits: RateLimits | None = None  # the owner's own rate limits, copied at issue

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: the secret, shown once, and the record stored in its place."""

    secret: str = field(repr=False)  # never in logs or tracebacks
    record: ApiKey


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    return "key_" + secrets.token_hex(12)


def issue_key(
    *,
    user_id: str,
    name: str,
    prefix: str,
    now: datetime,
    scopes: tuple[str, ...] = (ALL_SCOPES,),
    role: str = "user",
    plan: str = "maker",
    limits: RateLimits | None = None,
    secret: str | None = None,
) -> IssuedKey:
    """Make a new key for a user; `secret` registers a caller-chosen key (development only)."""
    value = secret if secret is not None else prefix + secrets.token_urlsafe(KEY_RANDOM_BYTES)
    record = ApiKey(
        key_id=new_key_id(),
        key_hash=hash_key(value),
        user_id=user_id,
        name=name,
        prefix=value[: len(prefix)] if value.startswith(prefix) else value[:3],
        last4=value[-4:],
        created_at=now,
        scopes=scopes,
        role=role,
        plan=plan,
        limits=limits,
    )
    return IssuedKey(secret=value, record=record)
