"""Kits and skills: GET /v1/kits, POST /v1/kits/run (whole, or SSE with `stream: true`) and
GET /skills. A run is metered like a chat completion, at its kit's price; `experiment: {id}`
joins an experiment (api/joined.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.joined import joined
from switchboard.api.metering import metered
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.sse import event_stream
from switchboard.bootstrap import container
from switchboard.domain.kit_runs import KitRunRequest


async def list_kits(request: Request) -> Response:
    await require_principal(request)
    return json_response(container().kits.listing())


async def run_kit(request: Request) -> Response:
    async with metered(request) as call:
        services = container()
        data = await read_object(request, services.settings.MAX_BODY_BYTES)
        body = validate(KitRunRequest, await joined(data, call, prompts=False))
        if body.stream:
            return await event_stream(services.kits.stream(body, call.meter))
        return json_response(await services.kits.run(body, call.meter))


async def list_skills(request: Request) -> Response:
    await require_principal(request)
    return json_response(container().kits.skills())


routes = [
    Route("/v1/kits", list_kits, methods=["GET"]),
    Route("/v1/kits/run", run_kit, methods=["POST"]),
    Route("/skills", list_skills, methods=["GET"]),
]
