"""The request queue: POST /v1/ai answers 202 with the request's id (and a Location to poll);
GET /v1/ai?req_id=... answers its status, and its answer once it has one; GET /v1/ai/requests
lists the caller's requests still kept, oldest first, a cursor page at a time.

POST is metered at submit (the hold and the rate window), the model is called later by the
queue worker (functions/queue_worker). An Idempotency-Key header makes a resubmission answer
with the first request.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.metering import metered
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.schemas.queue import (
    SubmitRequest,
    request_list_view,
    status_view,
    submitted_view,
)
from switchboard.bootstrap import container
from switchboard.domain.queue import check_idempotency_key
from switchboard.errors import InvalidRequestError

MAX_PAGE = 100
HOLD_MARGIN_SECONDS = 3600  # a queued request's hold outlives the request by this much


async def submit(request: Request) -> Response:
    services = container()
    queue = services.queue
    async with metered(request, hold_seconds=queue.ttl_seconds + HOLD_MARGIN_SECONDS) as call:
        key = check_idempotency_key(request.headers.get("idempotency-key"))
        body = await read_object(request, services.settings.MAX_BODY_BYTES)
        given = validate(SubmitRequest, body)
        queued = await queue.submit(
            call.principal, call.meter, given.queued_input(), given.model, body, key
        )
        headers = {"Location": f"/v1/ai?req_id={queued.request_id}"}
        return json_response(submitted_view(queued), status=202, headers=headers)


async def poll(request: Request) -> Response:
    principal = await require_principal(request)
    request_id = request.query_params.get("req_id")
    if not request_id:
        raise InvalidRequestError(
            "Missing required parameter: 'req_id'.",
            param="req_id",
            code="missing_required_parameter",
        )
    queue = container().queue
    queued = await queue.status(principal, request_id)
    return json_response(status_view(queued, await queue.answer(queued)))


async def list_requests(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=MAX_PAGE, maximum=MAX_PAGE)
    found, cursor = await container().queue.page(principal, after=page_after(request), limit=limit)
    return json_response(request_list_view(found, cursor))


routes = [
    Route("/v1/ai", submit, methods=["POST"]),
    Route("/v1/ai", poll, methods=["GET"]),
    Route("/v1/ai/requests", list_requests, methods=["GET"]),
]
