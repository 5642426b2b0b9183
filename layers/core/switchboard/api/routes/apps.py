"""Apps: POST and GET /apps, GET and PUT /v1/{app_id}/ai/config, GET /v1/{app_id}/ai/usage."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.requests import read_object
from switchboard.api.responses import json_response
from switchboard.api.schemas.apps import app_view, config_view
from switchboard.bootstrap import container


async def register_app(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    app = await anyio.to_thread.run_sync(container().apps.create, principal, body.get("name"))
    return json_response(app_view(app), status=201)


async def list_apps(request: Request) -> Response:
    principal = await require_principal(request)
    apps = await anyio.to_thread.run_sync(container().apps.list, principal)
    return json_response({"object": "list", "data": [app_view(app) for app in apps]})


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
    Route("/v1/{app_id}/ai/config", get_config, methods=["GET"]),
    Route("/v1/{app_id}/ai/config", put_config, methods=["PUT"]),
    Route("/v1/{app_id}/ai/usage", get_usage, methods=["GET"]),
]
