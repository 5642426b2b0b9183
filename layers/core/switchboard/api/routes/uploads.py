"""Batch uploads: POST /v1/batches/uploads (a presigned POST that puts one batch file under
the caller's prefix in the bucket, where its arrival starts the batch) and
GET /v1/batches/uploads/{upload_id} (what became of it). For files too large to pass
through POST /v1/files; the batch is billed to the prefix's user (services/uploads.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.schemas.uploads import CreateUploadRequest, upload_view
from switchboard.bootstrap import container


async def create_upload(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    body = validate(
        CreateUploadRequest, await read_object(request, services.settings.MAX_BODY_BYTES)
    )
    upload, post = await services.uploads.grant(
        principal, body.order(), body.filename, body.user_id
    )
    return json_response(upload_view(upload, post), status=201)


async def retrieve_upload(request: Request) -> Response:
    principal = await require_principal(request)
    upload = await container().uploads.get(principal, request.path_params["upload_id"])
    return json_response(upload_view(upload))


routes = [
    Route("/v1/batches/uploads", create_upload, methods=["POST"]),
    Route("/v1/batches/uploads/{upload_id}", retrieve_upload, methods=["GET"]),
]
