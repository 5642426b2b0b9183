"""POST /v1/embeddings and /v1/{app_id}/embeddings: vectors as float arrays or base64
(little-endian float32). Billed to the caller, or to the app's owner."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.metering import metered, with_app_model
from switchboard.api.requests import parse_body, read_object, validate
from switchboard.api.responses import json_response
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelType
from switchboard.domain.requests import EmbeddingRequest


async def create_embeddings(request: Request) -> Response:
    async with metered(request) as call:
        body = await parse_body(request, EmbeddingRequest, container().settings.MAX_BODY_BYTES)
        return json_response(await container().inference.embed(body, call.meter))


async def create_embeddings_in_app(request: Request) -> Response:
    async with metered(request, app_scoped=True) as call:
        assert call.app is not None
        data = await read_object(request, container().settings.MAX_BODY_BYTES)
        body = validate(EmbeddingRequest, with_app_model(data, call.app, ModelType.EMBEDDING))
        return json_response(await container().inference.embed(body, call.meter))


routes = [
    Route("/v1/embeddings", create_embeddings, methods=["POST"]),
    Route("/v1/{app_id}/embeddings", create_embeddings_in_app, methods=["POST"]),
]
