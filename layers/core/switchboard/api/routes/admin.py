"""Admin endpoints (admin role, "*" scope): users, their credits, and keys issued for them.

POST  /admin/users                       a user with an opening balance (409 email_taken)
GET   /admin/users                       every user, a cursor page at a time (limit, after)
GET   /admin/users/{user_id}             the user as /auth/me shows it, with their own
                                         limits and disabled state
PATCH /admin/users/{user_id}             change plan, role, rate_limits, disabled: their
                                         keys and sessions follow within KEY_CACHE_SECONDS
POST /admin/users/{user_id}/credits      a top-up (> 0) or an adjustment (< 0)
POST /admin/users/{user_id}/apikeys      a key for that user, shown once

The rules are AccountService's, shared with the `switchboard` command.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_admin
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.routes.keys import issue
from switchboard.api.schemas.accounts import (
    CreateUserRequest,
    CreditsRequest,
    UpdateUserRequest,
    admin_user_list_view,
    admin_user_view,
    credits_view,
)
from switchboard.api.schemas.keys import ScopedKeyRequest, issued_key_view
from switchboard.bootstrap import container
from switchboard.domain.accounts import Role
from switchboard.services.accounts import Profile

MAX_PAGE = 100


async def create_user(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, CreateUserRequest, container().settings.MAX_BODY_BYTES)
    profile = await anyio.to_thread.run_sync(register, body)
    return json_response(admin_user_view(profile), status=201)


async def get_user(request: Request) -> Response:
    await require_admin(request)
    user_id = request.path_params["user_id"]
    profile = await anyio.to_thread.run_sync(container().accounts.profile, user_id)
    return json_response(admin_user_view(profile))


async def update_user(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, UpdateUserRequest, container().settings.MAX_BODY_BYTES)
    user_id = request.path_params["user_id"]
    services = container()
    profile, key_hashes = await anyio.to_thread.run_sync(
        services.accounts.change_user, user_id, body.changes()
    )
    for key_hash in key_hashes:  # at once on this container, elsewhere within the bound
        services.authenticator.forget(key_hash)
    return json_response(admin_user_view(profile))


async def list_users(request: Request) -> Response:
    await require_admin(request)
    limit = page_limit(request, default=MAX_PAGE, maximum=MAX_PAGE)
    users, cursor = await anyio.to_thread.run_sync(
        lambda: container().accounts.users(after=page_after(request), limit=limit)
    )
    return json_response(admin_user_list_view(users, cursor))


async def add_credits(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, CreditsRequest, container().settings.MAX_BODY_BYTES)
    user_id = request.path_params["user_id"]
    accounts = container().accounts
    balance = await anyio.to_thread.run_sync(
        accounts.credit_usd, user_id, body.amount_usd, body.reason
    )
    return json_response(credits_view(user_id, balance))


async def create_key(request: Request) -> Response:
    await require_admin(request)
    body = await parse_body(request, ScopedKeyRequest, container().settings.MAX_BODY_BYTES)
    issued = await issue(request.path_params["user_id"], body.name, tuple(body.scopes), body)
    return json_response(issued_key_view(issued, "name"), status=201)


def register(body: CreateUserRequest) -> Profile:
    """Store the user a valid POST /admin/users body describes (blocking: argon2id)."""
    limits = body.rate_limits.limits() if body.rate_limits else None
    return container().accounts.register(
        body.email, body.first_name, body.last_name, credits_usd=body.credits_usd,
        plan=body.plan, role=Role(body.role), password=body.password, limits=limits,
    )  # fmt: skip


routes = [
    Route("/admin/users", create_user, methods=["POST"]),
    Route("/admin/users", list_users, methods=["GET"]),
    Route("/admin/users/{user_id}", get_user, methods=["GET"]),
    Route("/admin/users/{user_id}", update_user, methods=["PATCH"]),
    Route("/admin/users/{user_id}/credits", add_credits, methods=["POST"]),
    Route("/admin/users/{user_id}/apikeys", create_key, methods=["POST"]),
]
