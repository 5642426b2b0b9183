"""Apps: POST and GET /apps (a cursor page: `limit`, `after`), GET, PATCH {name} and DELETE
/apps/{app_id}, GET and PUT /v1/{app_id}/ai/config, GET /v1/{app_id}/ai/usage (a deleted
app's too). A user owns at most MaxAppsPerUser apps (409 app_limit_reached)."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.metering import app_of
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import read_object
from switchboard.api.responses import json_response
from switchboard.api.schemas.apps import app_list_view, app_view, config_view, deleted_app_view
from switchboard.bootstrap import container

MAX_PAGE = 100


async def register_app(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    app = await anyio.to_thread.run_sync(container().apps.create, principal, body.get("name"))
    return json_response(app_view(app), status=201)


async def list_apps(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=MAX_PAGE, maximum=MAX_PAGE)
    apps, cursor = await anyio.to_thread.run_sync(
        lambda: container().apps.page(principal, after=page_after(request), limit=limit)
    )
    return json_response(app_list_view(apps, cursor))


async def get_app(request: Request) -> Response:
    principal = await require_principal(request)
    return json_response(app_view(await app_of(request, principal)))


async def rename_app(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    app_id = request.path_params["app_id"]
    app = await anyio.to_thread.run_sync(
        container().apps.rename, principal, app_id, body.get("name")
    )
    return json_response(app_view(app))


async def delete_app(request: Request) -> Response:
    principal = await require_principal(request)
    app_id = request.path_params["app_id"]
    app = await anyio.to_thread.run_sync(container().apps.delete, principal, app_id)
    return json_response(deleted_app_view(app))


async def get_config(request: Request) -> Response:
    principal = await require_principal(request)
    app_id = request.path_params["app_id"]
    config = await anyio.to_thread.run_sync(container().apps.config, principal, app_id)
    return json_response(config_view(app_id, config))


async def put_config(request: Request) -> Response:
    principal = await require_principal(request)
    app_id = request.path_params["app_id"]
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    config = await anyio.to_thread.run_sync(container().apps.put_config, principal, app_id, body)
    return json_response(config_view(app_id, config))


async def get_usage(request: Request) -> Response:
    principal = await require_principal(request)
    app_id = request.path_params["app_id"]
    start, end = request.query_params.get("startDate"), request.query_params.get("endDate")
    body = await anyio.to_thread.run_sync(container().apps.usage, principal, app_id, start, end)
    return json_response(body)


routes = [
    Route("/apps", register_app, methods=["POST"]),
    Route("/apps", list_apps, methods=["GET"]),
    Route("/apps/{app_id}", get_app, methods=["GET"]),
    Route("/apps/{app_id}", rename_app, methods=["PATCH"]),
    Route("/apps/{app_id}", delete_app, methods=["DELETE"]),
    Route("/v1/{app_id}/ai/config", get_config, methods=["GET"]),
    Route("/v1/{app_id}/ai/config", put_config, methods=["PUT"]),
    Route("/v1/{app_id}/ai/usage", get_usage, methods=["GET"]),
]
