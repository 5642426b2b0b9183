"""POST /v1/chat/completions: whole answers as JSON, or SSE chunks with `stream: true`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.auth import require_principal
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.api.sse import event_stream
from switchboard.bootstrap import container
from switchboard.domain.requests import ChatCompletionRequest


async def create_chat_completion(request: Request) -> Response:
    await require_principal(request)
    services = container()
    body = await parse_body(request, ChatCompletionRequest, services.settings.MAX_BODY_BYTES)
    if body.stream:
        return await event_stream(services.inference.stream(body))
    return json_response(await services.inference.complete(body))


routes = [Route("/v1/chat/completions", create_chat_completion, methods=["POST"])]
