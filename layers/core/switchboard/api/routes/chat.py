"""POST /v1/chat/completions and /v1/{app_id}/chat/completions: whole answers as JSON, or
SSE chunks with `stream: true`. Billed to the caller, or to the app's owner. A `skill`
puts its system prompt first (before the caller's own system message). A `prompt` (the
caller's; on the app route, the app's) gives the first messages, and the model and its
parameters unless the body sets them; `experiment: {id}` joins an experiment (api/joined.py).

A `file_search` tool (domain/file_search.py) is taken out of the body before it validates:
every store it names must be the caller's (404 before anything is held); the last user
message is searched in them, the query's embedding charged on a second meter of the same
request; the chunks go to the model in one system message after the system messages, and
the answer lists them in `message.sources` (in a stream: on the chunk that finishes). The
retrieval is services/chat_retrieval.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.joined import joined
from switchboard.api.metering import MeteredCall, metered, with_app_cap, with_app_model
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.sse import event_stream
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelType
from switchboard.domain.kits import with_skill
from switchboard.domain.requests import ChatCompletionRequest

if TYPE_CHECKING:
    from switchboard.domain.file_search import FileSearch, Searched
    from switchboard.services.meter import Meter


async def create_chat_completion(request: Request) -> Response:
    async with metered(request) as call:
        data = await read_object(request, container().settings.MAX_BODY_BYTES)
        data, search = _take_file_search(await joined(data, call))
        body = validate(ChatCompletionRequest, _with_skill(data))
        return await _searched(body, call, search)


async def create_chat_completion_in_app(request: Request) -> Response:
    async with metered(request, app_scoped=True) as call:
        assert call.app is not None
        data = await read_object(request, container().settings.MAX_BODY_BYTES)
        data = await joined(data, call, app_id=call.app.app_id)
        data, search = _take_file_search(with_app_model(data, call.app, ModelType.CHAT))
        body = validate(ChatCompletionRequest, _with_skill(data))
        return await _searched(with_app_cap(body, call.app), call, search)


def _take_file_search(data: dict[str, Any]) -> tuple[dict[str, Any], FileSearch | None]:
    """domain/file_search.py's take_file_search, imported for a body with tools: its models
    are no part of a plain chat completion's cold start."""
    if not isinstance(data.get("tools"), list):
        return data, None
    from switchboard.domain.file_search import take_file_search

    return take_file_search(data)


def _with_skill(data: dict[str, Any]) -> dict[str, Any]:
    """The body with its skill's system prompt first: the one it names (`skill`: 400
    unknown_skill if the catalog lacks it), else the catalog's default skill, if any; the
    skill's built-in tools are turned on unless the body says `use_tools` itself."""
    skill = container().kit_catalog.skill_for(data.get("skill"))
    data = with_skill(data, skill)
    if skill is not None and skill.tools and "use_tools" not in data:  # its built-in tools
        data = data | {"use_tools": [t for t in skill.tools if t in container().builtin_tools]}
    return data


async def _searched(
    body: ChatCompletionRequest, call: MeteredCall, tool: FileSearch | None
) -> Response:
    """The answer, after the file_search tool's retrieval when the body had one."""
    if tool is None:
        return await _answer(body, call.meter)
    retrieval = container().chat_retrieval
    body, searched = await retrieval.searched(body, call.principal.user_id, call.meter, tool)
    return await _answer(body, call.meter, searched)


async def _answer(
    body: ChatCompletionRequest, meter: Meter, searched: Searched | None = None
) -> Response:
    service = container().tool_loop if body.use_tools else container().inference
    if body.stream:
        events = service.stream(body, meter)
        return await event_stream(events if searched is None else _chunks(events, searched))
    answer = await service.complete(body, meter)
    return json_response(answer if searched is None else searched.answered(answer))


async def _chunks(
    events: AsyncGenerator[Any, None], searched: Searched
) -> AsyncGenerator[Any, None]:
    async with aclosing(events):
        async for event in events:
            yield searched.chunk(event) if isinstance(event, dict) else event


routes = [
    Route("/v1/chat/completions", create_chat_completion, methods=["POST"]),
    Route("/v1/{app_id}/chat/completions", create_chat_completion_in_app, methods=["POST"]),
]
