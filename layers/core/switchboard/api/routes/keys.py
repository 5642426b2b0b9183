"""A user's own API keys, in two families over the same keys:

    /user/apikeys   {label}           keys for everything the account may do
    /api-keys       {name, scopes}    scopes ["*"] or ["ai:gateway"] (inference routes only)

Both list the user's usable keys, oldest first, a cursor page at a time (`limit` up to 100,
the default; `after` = next_cursor); `label` and `name` are the same stored field. Either
body may set an expiry (`expires_at` in unix seconds, or `expires_in_days`). A user holds at
most MaxKeysPerUser keys (409 key_limit_reached). The secret is shown once, when the key is
made. A key revoked here stops working here at once, on other containers within
KEY_CACHE_SECONDS.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.schemas.keys import (
    KeyExpiry,
    LabelledKeyRequest,
    NameField,
    ScopedKeyRequest,
    deleted_key_view,
    issued_key_view,
    key_list_view,
)
from switchboard.bootstrap import container
from switchboard.domain.clock import utcnow
from switchboard.domain.key_issuance import IssuedKey, key_expiry
from switchboard.domain.principals import ALL_SCOPES, Principal

MAX_PAGE = 100


async def create_labelled_key(request: Request) -> Response:
    principal = await require_principal(request)
    body = await parse_body(request, LabelledKeyRequest, container().settings.MAX_BODY_BYTES)
    issued = await issue(principal.user_id, body.label, (ALL_SCOPES,), body)
    return json_response(issued_key_view(issued, "label"), status=201)


async def create_scoped_key(request: Request) -> Response:
    principal = await require_principal(request)
    body = await parse_body(request, ScopedKeyRequest, container().settings.MAX_BODY_BYTES)
    issued = await issue(principal.user_id, body.name, tuple(body.scopes), body)
    return json_response(issued_key_view(issued, "name"), status=201)


async def issue(user_id: str, name: str, scopes: tuple[str, ...], expiry: KeyExpiry) -> IssuedKey:
    """A key for `user_id` with the body's expiry (shared with the admin's route)."""
    expires = key_expiry(
        utcnow(), expires_at=expiry.expires_at, expires_in_days=expiry.expires_in_days
    )
    return await anyio.to_thread.run_sync(
        container().accounts.issue_key_for, user_id, name, scopes, expires
    )


async def list_labelled_keys(request: Request) -> Response:
    return await _list(request, "label")


async def list_scoped_keys(request: Request) -> Response:
    return await _list(request, "name")


async def revoke_key(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    key_id = request.path_params["key_id"]
    key = await anyio.to_thread.run_sync(services.accounts.revoke_key, principal.user_id, key_id)
    services.authenticator.forget(key.key_hash)
    return json_response(deleted_key_view(key))


async def _list(request: Request, name_field: NameField) -> Response:
    principal: Principal = await require_principal(request)
    limit = page_limit(request, default=MAX_PAGE, maximum=MAX_PAGE)
    keys, cursor = await anyio.to_thread.run_sync(
        lambda: container().accounts.keys_page(
            principal.user_id, after=page_after(request), limit=limit
        )
    )
    return json_response(key_list_view(keys, name_field, cursor))


routes = [
    Route("/user/apikeys", list_labelled_keys, methods=["GET"]),
    Route("/user/apikeys", create_labelled_key, methods=["POST"]),
    Route("/user/apikeys/{key_id}", revoke_key, methods=["DELETE"]),
    Route("/api-keys", list_scoped_keys, methods=["GET"]),
    Route("/api-keys", create_scoped_key, methods=["POST"]),
    Route("/api-keys/{key_id}", revoke_key, methods=["DELETE"]),
]
