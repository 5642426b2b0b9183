"""POST /v1/embeddings: vectors as float arrays or base64 (little-endian float32)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.auth import require_principal
from switchboard.api.requests import parse_body
from switchboard.api.responses import json_response
from switchboard.bootstrap import container
from switchboard.domain.requests import EmbeddingRequest


async def create_embeddings(request: Request) -> Response:
    await require_principal(request)
    services = container()
    body = await parse_body(request, EmbeddingRequest, services.settings.MAX_BODY_BYTES)
    return json_response(await services.inference.embed(body))


routes = [Route("/v1/embeddings", create_embeddings, methods=["POST"])]
