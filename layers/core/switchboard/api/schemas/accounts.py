"""Users, their credits and sessions: POST /admin/users, POST /admin/users/{id}/credits,
POST /auth/login, and the user and credits bodies they (and GET /auth/me) answer with.

Money is a six-decimal USD string, times are unix seconds, as OpenAI shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from switchboard.domain.accounts import MAX_EMAIL_LENGTH
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


def credits_view(user_id: str, balance_micro_usd: int) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "credits_usd": format_usd(balance_micro_usd),
        "token_balance": token_balance(balance_micro_usd),
    }


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
