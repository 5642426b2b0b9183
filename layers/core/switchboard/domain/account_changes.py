"""What makes a user (NewUser) and what an admin changes of one (UserChanges), apart from
domain/accounts.py: a request that reads a user and its balance needs neither, and each
dataclass is about half a millisecond of a cold start to create."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from switchboard.domain.accounts import Role, User
from switchboard.domain.limits import DEFAULT_PLAN, RateLimits


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What an admin changes of a user (None: unchanged; `clear_limits` drops their own
    rate limits, back to the plan's)."""

    plan: str | None = None
    role: Role | None = None
    limits: RateLimits | None = None
    clear_limits: bool = False
    disabled: bool | None = None

    def applied(self, user: User) -> User:
        limits = None if self.clear_limits else (self.limits or user.limits)
        return replace(
            user,
            plan=self.plan or user.plan,
            role=self.role or user.role,
            limits=limits,
            disabled=user.disabled if self.disabled is None else self.disabled,
            revision=user.revision + 1,
        )


@dataclass(frozen=True, slots=True)
class NewUser:
    """What a user is made from; the id and creation time are given when it is stored."""

    email: str
    first_name: str
    last_name: str
    role: Role = Role.USER
    plan: str = DEFAULT_PLAN
    opening_balance_micro_usd: int = 0
    password_hash: str | None = field(default=None, repr=False)  # argon2id, when set
    limits: RateLimits | None = None
