"""Prompts: POST and GET /prompts, POST and GET /prompts/{slug}/versions,
PUT /prompts/{slug}/tags/{tag}, GET /prompts/{slug}/describe, GET /prompts/{slug} and
POST /prompts/{slug}/compile. `?app_id=` names an app's prompts (POST /prompts may name it in
the body instead); without it, the caller's own."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import read_object
from switchboard.api.responses import json_response
from switchboard.api.schemas.prompts import (
    compiled_view,
    describe_view,
    page_view,
    prompt_view,
    served_view,
    version_view,
)
from switchboard.bootstrap import container
from switchboard.domain.prompts import parse_selector

MAX_PAGE = 100
DEFAULT_PAGE = 20


def _app_id(request: Request) -> str | None:
    return request.query_params.get("app_id") or None


async def create_prompt(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    prompts = container().prompts
    prompt = await anyio.to_thread.run_sync(prompts.create, principal, body, _app_id(request))
    return json_response(prompt_view(prompt), status=201)


async def list_prompts(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=DEFAULT_PAGE, maximum=MAX_PAGE)
    found, more = await anyio.to_thread.run_sync(
        lambda: container().prompts.list_prompts(
            principal, _app_id(request), after=page_after(request), limit=limit
        )
    )
    cursor = found[-1].slug if found else None
    return json_response(page_view([prompt_view(p) for p in found], more, cursor))


async def create_version(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    slug, prompts = request.path_params["slug"], container().prompts
    version, tag = await anyio.to_thread.run_sync(
        prompts.add_version, principal, slug, body, _app_id(request)
    )
    return json_response(version_view(version, tag), status=201)


async def list_versions(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=DEFAULT_PAGE, maximum=MAX_PAGE)
    slug = request.path_params["slug"]
    found, more = await anyio.to_thread.run_sync(
        lambda: container().prompts.versions(
            principal, slug, _app_id(request), after=page_after(request), limit=limit
        )
    )
    cursor = str(found[-1].version) if found else None
    return json_response(page_view([version_view(v) for v in found], more, cursor))


async def move_tag(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    slug, tag = request.path_params["slug"], request.path_params["tag"]
    prompts = container().prompts
    prompt = await anyio.to_thread.run_sync(
        prompts.move_tag, principal, slug, tag, body, _app_id(request)
    )
    return json_response(prompt_view(prompt))


async def describe_prompt(request: Request) -> Response:
    principal = await require_principal(request)
    slug, prompts = request.path_params["slug"], container().prompts
    prompt = await anyio.to_thread.run_sync(prompts.get, principal, slug, _app_id(request))
    return json_response(describe_view(prompt))


async def get_prompt(request: Request) -> Response:
    principal = await require_principal(request)
    query = request.query_params
    selector = parse_selector(query.get("version"), query.get("tag"))
    slug, prompts = request.path_params["slug"], container().prompts
    served = await anyio.to_thread.run_sync(
        prompts.serve, principal, slug, selector, _app_id(request)
    )
    model = served.version.model
    snapshot = prompts.model_version(model) if model is not None else None
    return json_response(served_view(served, snapshot))


async def compile_prompt(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    slug, prompts = request.path_params["slug"], container().prompts
    served, compiled = await anyio.to_thread.run_sync(
        prompts.compile, principal, slug, body, _app_id(request)
    )
    return json_response(compiled_view(served, compiled))


routes = [
    Route("/prompts", create_prompt, methods=["POST"]),
    Route("/prompts", list_prompts, methods=["GET"]),
    Route("/prompts/{slug}/versions", create_version, methods=["POST"]),
    Route("/prompts/{slug}/versions", list_versions, methods=["GET"]),
    Route("/prompts/{slug}/tags/{tag}", move_tag, methods=["PUT"]),
    Route("/prompts/{slug}/describe", describe_prompt, methods=["GET"]),
    Route("/prompts/{slug}", get_prompt, methods=["GET"]),
    Route("/prompts/{slug}/compile", compile_prompt, methods=["POST"]),
]
