"""Users and their credit balance. Money is integer micro-USD (1 USD = 1,000,000).

What makes a user (NewUser) and what an admin changes of one (UserChanges) are
domain/account_changes.py's."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from switchboard.domain.limits import RateLimits

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on an address in use
MAX_ID_LENGTH = 128  # no id we make is longer: a longer one is unknown, without a lookup


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    """An account: its login email, name, role, plan and limits."""

    user_id: str
    email: str
    first_name: str
    last_name: str
    role: Role
    plan: str
    created_at: datetime
    limits: RateLimits | None = None  # the user's own rate limits (enterprise), else the plan's
    disabled: bool = False  # by an admin: their keys and sessions stop (the revocation bound)
    revision: int = 0  # counts the admin's changes; a key is issued from the latest one


class LimitReached(Exception):
    """A user holds as many keys (or apps) as they may: `count` of them."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} held")
        self.count = count


class UserDisabled(Exception):
    """The user is disabled: nothing new is issued to them."""


class UserChanged(Exception):
    """The user changed (an admin's change) since it was read: read it again."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One append-only change to a balance; entries always sum to the balance."""

    entry_id: str
    user_id: str
    kind: str  # top_up, reserve, settle, release, adjustment
    amount_micro_usd: int  # signed: credits positive, debits negative
    created_at: datetime
    reason: str = ""
    request_id: str = ""


def new_user_id() -> str:
    return "usr_" + secrets.token_hex(12)


def new_entry_id(now: datetime) -> str:
    """Sortable by time, unique: the timestamp then randomness."""
    return f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(6)}"
