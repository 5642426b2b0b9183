"""Users and their credit balance. Money is integer micro-USD (1 USD = 1,000,000)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MICRO_USD_PER_USD = 1_000_000


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    email: str
    first_name: str
    last_name: str
    role: Role
    plan: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewUser:
    """What a user is made from; the id and creation time are given when it is stored."""

    email: str
    first_name: str
    last_name: str
    role: Role = Role.USER
    plan: str = "maker"
    opening_balance_micro_usd: int = 0


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One append-only change to a balance; entries always sum to the balance."""

    entry_id: str
    user_id: str
    kind: str  # top_up, reserve, settle, release, adjustment
    amount_micro_usd: int  # signed: credits positive, debits negative
    balance_after_micro_usd: int
    created_at: datetime
    reason: str = ""


def new_user_id() -> str:
    return "usr_" + secrets.token_hex(12)


def new_entry_id(now: datetime) -> str:
    """Sortable by time, unique: the timestamp then randomness."""
    return f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(6)}"


def usd_to_micro(usd: int) -> int:
    return usd * MICRO_USD_PER_USD
