"""Users, their credits and sessions: POST /admin/users, POST /admin/users/{id}/credits,
POST /auth/login, and the user and credits bodies they (and GET /auth/me) answer with.

Money is a six-decimal USD string, times are unix seconds, as OpenAI shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from switchboard.domain.account_changes import UserChanges
from switchboard.domain.accounts import MAX_EMAIL_LENGTH, Role, User
from switchboard.domain.limits import DEFAULT_PLAN, RateLimits
from switchboard.domain.money import format_usd, token_balance
from switchboard.services.accounts import Profile
from switchboard.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]
Usd = str | int | float  # parsed exactly by AccountService (domain/money.py's parse_usd)


class RateLimitsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests_per_minute: Annotated[int, Field(ge=1)]
    tokens_per_minute: Annotated[int, Field(ge=1)]

    def limits(self) -> RateLimits:
        return RateLimits(self.requests_per_minute, self.tokens_per_minute)


class CreateUserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    first_name: Name
    last_name: Name
    plan: str = DEFAULT_PLAN  # a new user without a plan is on maker
    credits_usd: Usd
    password: Password | None = None
    role: Literal["user", "admin"] = "user"
    rate_limits: RateLimitsBody | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, email: str) -> str:
        email = email.strip()
        local, at, domain = email.partition("@")
        well_formed = at and local and "@" not in domain and "." in domain.strip(".")
        if not well_formed or any(c.isspace() for c in email) or len(email) > MAX_EMAIL_LENGTH:
            raise ValueError("this is not an email address")
        return email.lower()


class UpdateUserRequest(BaseModel):
    """PATCH /admin/users/{id}: what is given changes; `rate_limits: null` drops the
    user's own limits (back to their plan's)."""

    model_config = ConfigDict(extra="forbid")

    plan: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    role: Literal["user", "admin"] | None = None
    rate_limits: RateLimitsBody | None = None
    disabled: bool | None = None

    def changes(self) -> UserChanges:
        limits = self.rate_limits.limits() if self.rate_limits else None
        return UserChanges(
            plan=self.plan,
            role=Role(self.role) if self.role else None,
            limits=limits,
            clear_limits="rate_limits" in self.model_fields_set and limits is None,
            disabled=self.disabled,
        )


class CreditsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_usd: Usd
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LoginRequest(BaseModel):
    email: Annotated[str, StringConstraints(max_length=MAX_EMAIL_LENGTH)]
    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


def user_view(profile: Profile) -> dict[str, Any]:
    """The user as GET /auth/me shows it."""
    user = profile.user
    return {
        "id": user.user_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role.value,
        "plan": user.plan,
        "token_balance": token_balance(profile.balance_micro_usd),
        "credits_usd": format_usd(profile.balance_micro_usd),
        "created_at": unix_seconds(user.created_at),
    }


def admin_user_view(profile: Profile) -> dict[str, Any]:
    """The user as admins see them: /auth/me's view, their own limits and disabled state."""
    return user_view(profile) | _admin_fields(profile.user)


def admin_user_list_view(users: list[User], cursor: str | None) -> dict[str, Any]:
    """A page of users (no balances: those are one read each, GET /admin/users/{id})."""
    data = [
        {"id": user.user_id, "object": "user", "email": user.email,
         "first_name": user.first_name, "last_name": user.last_name,
         "role": user.role.value, "plan": user.plan,
         "created_at": unix_seconds(user.created_at), **_admin_fields(user)}
        for user in users
    ]  # fmt: skip
    return {"object": "list", "data": data, "has_more": cursor is not None,
            "next_cursor": cursor}  # fmt: skip


def _admin_fields(user: User) -> dict[str, Any]:
    return {
        "disabled": user.disabled,
        "rate_limits": user.limits.to_dict() if user.limits else None,
    }


def credits_view(user_id: str, balance_micro_usd: int) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "credits_usd": format_usd(balance_micro_usd),
        "token_balance": token_balance(balance_micro_usd),
    }


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
