"""POST /v1/chat/completions and /v1/{app_id}/chat/completions: whole answers as JSON, or
SSE chunks with `stream: true`. Billed to the caller, or to the app's owner. A `skill`
puts its system prompt first (before the caller's own system message)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.metering import metered, with_app_cap, with_app_model
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.sse import event_stream
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelType
from switchboard.domain.kits import with_skill
from switchboard.domain.requests import ChatCompletionRequest

if TYPE_CHECKING:
    from switchboard.services.meter import Meter


async def create_chat_completion(request: Request) -> Response:
    async with metered(request) as call:
        data = await read_object(request, container().settings.MAX_BODY_BYTES)
        body = validate(ChatCompletionRequest, _with_skill(data))
        return await _answer(body, call.meter)


async def create_chat_completion_in_app(request: Request) -> Response:
    async with metered(request, app_scoped=True) as call:
        assert call.app is not None
        data = await read_object(request, container().settings.MAX_BODY_BYTES)
        data = with_app_model(data, call.app, ModelType.CHAT)
        body = validate(ChatCompletionRequest, _with_skill(data))
        return await _answer(with_app_cap(body, call.app), call.meter)


def _with_skill(data: dict[str, Any]) -> dict[str, Any]:
    """The body with its skill's system prompt first: the one it names (`skill`: 400
    unknown_skill if the catalog lacks it), else the catalog's default skill, if any; the
    skill's built-in tools are turned on unless the body says `use_tools` itself."""
    skill = container().kit_catalog.skill_for(data.get("skill"))
    data = with_skill(data, skill)
    if skill is not None and skill.tools and "use_tools" not in data:  # its built-in tools
        data = data | {"use_tools": [t for t in skill.tools if t in container().builtin_tools]}
    return data


async def _answer(body: ChatCompletionRequest, meter: Meter) -> Response:
    if body.use_tools:
        tools = container().tool_loop
        if body.stream:
            return await event_stream(tools.stream(body, meter))
        return json_response(await tools.complete(body, meter))
    inference = container().inference
    if body.stream:
        return await event_stream(inference.stream(body, meter))
    return json_response(await inference.complete(body, meter))


routes = [
    Route("/v1/chat/completions", create_chat_completion, methods=["POST"]),
    Route("/v1/{app_id}/chat/completions", create_chat_completion_in_app, methods=["POST"]),
]
