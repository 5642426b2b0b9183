"""Admin endpoints (admin role, "*" scope): users, their credits, and keys issued for them.

POST /admin/users                        a user with an opening balance (409 email_taken)
GET  /admin/users/{user_id}              the user as /auth/me shows it
POST /admin/users/{user_id}/credits      a top-up (> 0) or an adjustment (< 0)
POST /admin/users/{user_id}/apikeys      a key for that user, shown once
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_admin
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.routes.keys import ScopedKeyRequest, issue_key_for
from switchboard.api.views import credits_view, issued_key_view, user_view
from switchboard.bootstrap import container
from switchboard.domain.accounts import MAX_EMAIL_LENGTH, NewUser, Role, User
from switchboard.domain.limits import DEFAULT_PLAN, RateLimits
from switchboard.domain.money import parse_usd
from switchboard.errors import InvalidRequestError
from switchboard.services.accounts import Profile
from switchboard.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]
Usd = str | int | float


class RateLimitsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests_per_minute: Annotated[int, Field(ge=1)]
    tokens_per_minute: Annotated[int, Field(ge=1)]


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


async def create_user(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, CreateUserRequest, container().settings.MAX_BODY_BYTES)
    new = _new_user(body)  # parse credits before hashing the password
    user = await anyio.to_thread.run_sync(_store_user, new, body.password)
    return json_response(user_view(Profile(user, new.opening_balance_micro_usd)), status=201)


async def get_user(request: Request) -> Response:
    await require_admin(request)
    return await _user_response(request.path_params["user_id"])


async def add_credits(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, CreditsRequest, container().settings.MAX_BODY_BYTES)
    amount = parse_usd(body.amount_usd, param="amount_usd", allow_negative=True)
    if amount == 0:
        raise InvalidRequestError(
            "amount_usd must not be zero.", param="amount_usd", code="invalid_value"
        )
    user_id = request.path_params["user_id"]
    accounts = container().accounts
    balance = await anyio.to_thread.run_sync(accounts.add_credits, user_id, amount, body.reason)
    return json_response(credits_view(user_id, balance))


async def create_key(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, ScopedKeyRequest, container().settings.MAX_BODY_BYTES)
    user_id = request.path_params["user_id"]
    issued = await anyio.to_thread.run_sync(issue_key_for, user_id, body.name, tuple(body.scopes))
    return json_response(issued_key_view(issued, "name"), status=201)


async def _user_response(user_id: str) -> Response:
    profile = await anyio.to_thread.run_sync(container().accounts.profile, user_id)
    return json_response(user_view(profile))


def _new_user(body: CreateUserRequest) -> NewUser:
    limits = body.rate_limits
    return NewUser(
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        role=Role(body.role),
        plan=body.plan,
        opening_balance_micro_usd=parse_usd(body.credits_usd, param="credits_usd"),
        limits=RateLimits(limits.requests_per_minute, limits.tokens_per_minute) if limits else None,
    )


def _store_user(new: NewUser, password: str | None) -> User:
    """Hash the password (argon2id, blocking) and store the user."""
    if password is not None:
        new = replace(new, password_hash=hash_password(password))
    return container().accounts.create_user(new)  # a taken email: 409 email_taken


routes = [
    Route("/admin/users", create_user, methods=["POST"]),
    Route("/admin/users/{user_id}", get_user, methods=["GET"]),
    Route("/admin/users/{user_id}/credits", add_credits, methods=["POST"]),
    Route("/admin/users/{user_id}/apikeys", create_key, methods=["POST"]),
]
