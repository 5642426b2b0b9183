"""Files (OpenAI's Files API, purposes "batch", "assistants" and "user_data"): POST
/v1/files (a multipart upload), GET /v1/files, GET /v1/files/{file_id},
GET /v1/files/{file_id}/content and DELETE /v1/files/{file_id}. A caller sees only their
own files.

Uploads pass through the function, so they are bounded by its request size
(MAX_BODY_BYTES: Lambda takes 6 MB, API Gateway 10 MB); larger batch files go to the
bucket through a presigned upload. Contents larger than 4 MB are answered with a redirect
to a short-lived presigned URL, which the official SDKs follow.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.multipart import read_form
from switchboard.api.pages import page_after, page_descending, page_limit
from switchboard.api.responses import json_response
from switchboard.api.schemas.files import deleted_view, file_list_view, file_view
from switchboard.bootstrap import container
from switchboard.domain.files import MAX_LIST_LIMIT
from switchboard.errors import InvalidRequestError


async def upload_file(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    form = await read_form(request, services.settings.MAX_BODY_BYTES)
    upload = form.files.get("file")
    if upload is None:
        raise InvalidRequestError(
            "Missing required parameter: 'file'.", param="file", code="missing_required_parameter"
        )
    stored = await services.files.upload(
        principal,
        purpose=form.fields.get("purpose"),
        filename=upload.filename,
        data=upload.data,
        content_type=upload.content_type,
    )
    return json_response(file_view(stored))


async def list_files(request: Request) -> Response:
    principal = await require_principal(request)
    files, more = await container().files.list(
        principal,
        after=page_after(request),
        limit=page_limit(request, default=MAX_LIST_LIMIT, maximum=MAX_LIST_LIMIT),
        descending=page_descending(request),
        purpose=request.query_params.get("purpose") or None,
    )
    return json_response(file_list_view(files, more))


async def retrieve_file(request: Request) -> Response:
    principal = await require_principal(request)
    stored = await container().files.get(principal, request.path_params["file_id"])
    return json_response(file_view(stored))


async def file_content(request: Request) -> Response:
    principal = await require_principal(request)
    content, media = await container().files.content(principal, request.path_params["file_id"])
    if isinstance(content, str):  # too large to answer here: from the blob store itself
        return RedirectResponse(content, status_code=302)
    return Response(content, media_type=media)


async def delete_file(request: Request) -> Response:
    principal = await require_principal(request)
    file_id = request.path_params["file_id"]
    await container().files.delete(principal, file_id)
    return json_response(deleted_view(file_id))


routes = [
    Route("/v1/files", upload_file, methods=["POST"]),
    Route("/v1/files", list_files, methods=["GET"]),
    Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
    Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
    Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
]
