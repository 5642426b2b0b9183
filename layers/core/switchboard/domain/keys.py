"""API keys: how they are stored (only as a hash) and judged usable; how they are made is
domain/key_issuance.py's.

A key is `<prefix><43 url-safe characters>`: 256 random bits. Keys carry that much
entropy, so a plain SHA-256 is the right hash: it cannot be brute-forced, and lookup stays
one read by hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import ALL_SCOPES


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: the hash of its secret, its owner and what it may do."""

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
    disabled: bool = False  # the owner's account is disabled (copied, as role and plan are)

    def is_usable(self, now: datetime) -> bool:
        return self.refusal(now) is None

    def refusal(self, now: datetime) -> str | None:
        """Why the key cannot be used now: "revoked", "expired", "disabled", or None."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "disabled" if self.disabled else None


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
