"""A user's own API keys, in two families over the same keys:

    /user/apikeys   {label}           keys for everything the account may do
    /api-keys       {name, scopes}    scopes ["*"] or ["ai:gateway"] (inference routes only)

Both list all of the user's usable keys; `label` and `name` are the same stored field. The
secret is shown once, when the key is made. A key revoked here stops working here at once,
on other containers within KEY_CACHE_SECONDS.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.schemas.keys import (
    LabelledKeyRequest,
    NameField,
    ScopedKeyRequest,
    deleted_key_view,
    issued_key_view,
    key_list_view,
)
from switchboard.bootstrap import container
from switchboard.domain.principals import ALL_SCOPES, Principal


async def create_labelled_key(request: Request) -> Response:
    principal = await require_principal(request)
    body = await parse_body(request, LabelledKeyRequest, container().settings.MAX_BODY_BYTES)
    issued = await anyio.to_thread.run_sync(
        container().accounts.issue_key_for, principal.user_id, body.label, (ALL_SCOPES,)
    )
    return json_response(issued_key_view(issued, "label"), status=201)


async def create_scoped_key(request: Request) -> Response:
    principal = await require_principal(request)
    body = await parse_body(request, ScopedKeyRequest, container().settings.MAX_BODY_BYTES)
    issued = await anyio.to_thread.run_sync(
        container().accounts.issue_key_for, principal.user_id, body.name, tuple(body.scopes)
    )
    return json_response(issued_key_view(issued, "name"), status=201)


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
    keys = await anyio.to_thread.run_sync(container().accounts.keys, principal.user_id)
    return json_response(key_list_view(keys, name_field))


routes = [
    Route("/user/apikeys", list_labelled_keys, methods=["GET"]),
    Route("/user/apikeys", create_labelled_key, methods=["POST"]),
    Route("/user/apikeys/{key_id}", revoke_key, methods=["DELETE"]),
    Route("/api-keys", list_scoped_keys, methods=["GET"]),
    Route("/api-keys", create_scoped_key, methods=["POST"]),
    Route("/api-keys/{key_id}", revoke_key, methods=["DELETE"]),
]
