"""Issuing API keys: a new key's secret, shown once (IssuedKey), its record, and its expiry.

Apart from domain/keys.py, which every authenticated request reads: a request never issues
a key, and IssuedKey is a dataclass less to create at a cold start.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from switchboard.domain.keys import ApiKey, hash_key
from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import ALL_SCOPES
from switchboard.errors import InvalidRequestError

KEY_RANDOM_BYTES = 32
MAX_KEY_DAYS = 3650  # the furthest expiry a new key may carry: ten years


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: the secret, shown once, and the record stored in its place."""

    secret: str = field(repr=False)  # never in logs or tracebacks
    record: ApiKey


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
    expires_at: datetime | None = None,
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
        expires_at=expires_at,
    )
    return IssuedKey(secret=value, record=record)


def key_expiry(
    now: datetime, *, expires_at: int | None = None, expires_in_days: int | None = None
) -> datetime | None:
    """When a new key expires: at `expires_at` (unix seconds) or `expires_in_days` from now,
    at most MAX_KEY_DAYS ahead and not in the past; None: never. Not both."""
    if expires_at is not None and expires_in_days is not None:
        raise _bad_expiry("Give expires_at or expires_in_days, not both.", "expires_at")
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_KEY_DAYS:
            raise _bad_expiry("expires_in_days must be from 1 to 3650.", "expires_in_days")
        return now + timedelta(days=expires_in_days)
    if expires_at is None:
        return None
    if expires_at <= now.timestamp():
        raise _bad_expiry("expires_at must be in the future (unix seconds).", "expires_at")
    if expires_at > (now + timedelta(days=MAX_KEY_DAYS)).timestamp():
        raise _bad_expiry("expires_at may be at most 3650 days ahead.", "expires_at")
    return datetime.fromtimestamp(expires_at, tz=UTC)


def _bad_expiry(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_value")
