"""Traces of calls made elsewhere: POST /monitor/trace (prompt-management services' shape)
and POST /v1/traces (OTLP/HTTP, protobuf or JSON, gzip allowed). Both take a Switchboard
key as a Bearer token; the trace is the caller's (with `?app_id=`, the caller's app's,
listed to its owner), and joins only the caller's experiment (else 404
experiment_not_found). docs/traces.md "Ingestion".

OTLP answers ExportTraceServiceResponse in the request's encoding: 200 with an empty body
when every span was kept, else its partial_success (rejected_spans, error_message); a body
that cannot be read at all is a 400 in OpenAI's error envelope.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.requests import parse_body, read_bytes
from switchboard.api.responses import json_response
from switchboard.bootstrap import container
from switchboard.domain.principals import Principal
from switchboard.domain.trace_ingestion import INGESTED_BODY_BYTES, IngestedTrace, ingested_trace
from switchboard.errors import PayloadTooLargeError


async def _payer(request: Request, principal: Principal) -> tuple[str, str | None]:
    """Who the trace is listed to (its payer) and its app: the caller, or `?app_id=`'s owner
    (an app of the caller's, or any for an admin; else 404)."""
    app_id = request.query_params.get("app_id")
    if not app_id:
        return principal.user_id, None
    app = await anyio.to_thread.run_sync(container().apps.get_for, principal, app_id)
    return app.owner_id, app.app_id


async def ingest_trace(request: Request) -> Response:
    principal = await require_principal(request)
    body = await parse_body(request, IngestedTrace, INGESTED_BODY_BYTES)
    payer_id, app_id = await _payer(request, principal)
    if body.experiment is not None:  # the caller's experiment, or 404 before any write
        experiments = container().experiments
        await anyio.to_thread.run_sync(experiments.joinable, principal, body.experiment.id)
    trace = ingested_trace(
        body, user_id=principal.user_id, payer_id=payer_id, key_id=principal.key_id,
        app_id=app_id,
    )  # fmt: skip
    trace_id = await anyio.to_thread.run_sync(container().trace_ingestion.ingest, trace)
    return json_response({"id": trace_id, "object": "trace"}, status=201)


async def export_traces(request: Request) -> Response:
    from switchboard.api import otlp
    from switchboard.domain.otlp import traces_of

    principal = await require_principal(request)
    kind = otlp.media_type(request.headers.get("content-type"))
    too_large = PayloadTooLargeError(
        f"The body is larger than {otlp.MAX_BODY_BYTES} bytes.", code="too_large"
    )
    raw = await read_bytes(request, otlp.MAX_BODY_BYTES, too_large)
    data = otlp.decode(otlp.inflate(raw, request.headers.get("content-encoding")), kind)
    payer_id, app_id = await _payer(request, principal)
    batch = traces_of(
        data, user_id=principal.user_id, payer_id=payer_id, key_id=principal.key_id,
        app_id=app_id,
    )  # fmt: skip
    await anyio.to_thread.run_sync(container().trace_ingestion.ingest_otlp, batch)
    body = otlp.response_body(kind, batch.rejected, batch.error_message)
    return Response(body, media_type=kind)


routes = [
    Route("/monitor/trace", ingest_trace, methods=["POST"]),
    Route("/v1/traces", export_traces, methods=["POST"]),
]
