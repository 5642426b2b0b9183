"""Batches (OpenAI's Batch API): POST /v1/batches, GET /v1/batches/{batch_id},
GET /v1/batches (newest first, `after` and `limit`) and POST /v1/batches/{batch_id}/cancel.
A caller sees only their own batches; each line is billed to them as it runs
(services/batch_lines.py), at the model's batch price."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.schemas.batches import CreateBatchRequest, batch_list_view, batch_view
from switchboard.bootstrap import container

MAX_PAGE = 100
DEFAULT_PAGE = 20


async def create_batch(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = validate(
        CreateBatchRequest, await read_object(request, services.settings.MAX_BODY_BYTES)
    )
    batch = await services.batches.create(principal, body.input_file_id, body.order())
    return json_response(batch_view(batch))


async def retrieve_batch(request: Request) -> Response:
    principal = await require_principal(request)
    batch = await container().batches.get(principal, request.path_params["batch_id"])
    return json_response(batch_view(batch))


async def list_batches(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=DEFAULT_PAGE, maximum=MAX_PAGE)
    batches, more = await container().batches.list(
        principal, after=page_after(request), limit=limit
    )
    return json_response(batch_list_view(batches, more))


async def cancel_batch(request: Request) -> Response:
    principal = await require_principal(request)
    batch = await container().batches.cancel(principal, request.path_params["batch_id"])
    return json_response(batch_view(batch))


routes = [
    Route("/v1/batches", create_batch, methods=["POST"]),
    Route("/v1/batches", list_batches, methods=["GET"]),
    Route("/v1/batches/{batch_id}", retrieve_batch, methods=["GET"]),
    Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
]
