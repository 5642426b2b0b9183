"""POST /v1/embeddings and /v1/{app_id}/embeddings: vectors as float arrays or base64
(little-endian float32). Billed to the caller, or to the app's owner."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.auth import require_principal
from switchboard.api.metering import app_of, meter_for, with_app_model
from switchboard.api.requests import parse_body, read_object, validate
from switchboard.api.responses import json_response
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelType
from switchboard.domain.requests import EmbeddingRequest


async def create_embeddings(request: Request) -> Response:
    principal = await require_principal(request, tokens=True)
    body = await parse_body(request, EmbeddingRequest, container().settings.MAX_BODY_BYTES)
    return json_response(await container().inference.embed(body, meter_for(request, principal)))


async def create_app_embeddings(request: Request) -> Response:
    principal = await require_principal(request, tokens=True)
    app = await app_of(request, principal)
    data = await read_object(request, container().settings.MAX_BODY_BYTES)
    body = validate(EmbeddingRequest, with_app_model(data, app, ModelType.EMBEDDING))
    meter = meter_for(request, principal, app)
    return json_response(await container().inference.embed(body, meter))


routes = [
    Route("/v1/embeddings", create_embeddings, methods=["POST"]),
    Route("/v1/{app_id}/embeddings", create_app_embeddings, methods=["POST"]),
]
