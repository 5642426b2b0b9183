"""OpenAI's Videos API on our video jobs, so the official SDKs' `client.videos` calls work:

    POST    /v1/videos                  create (JSON, or the SDK's multipart form)
    GET     /v1/videos                  list the caller's, newest first (after, limit)
    GET     /v1/videos/{video_id}       retrieve (the poll is recorded)
    DELETE  /v1/videos/{video_id}       cancel if running, remove its files: video.deleted
    GET     /v1/videos/{video_id}/content?variant=video|thumbnail   302 to a presigned URL

`seconds` and `size` map to the job's duration and to the resolution and aspect ratio whose
size it is; a cancelled or expired job shows as failed. The same jobs answer on
/v1/videos/completions (routes/videos.py).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.metering import metered
from switchboard.api.multipart import read_form
from switchboard.api.pages import page_after, page_limit
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.routes.videos import default_video_model, video_model_codes
from switchboard.api.schemas.videos import CreateVideo, openai_list, openai_view
from switchboard.bootstrap import container
from switchboard.domain.video_options import openai_spec
from switchboard.domain.videos import HOLD_SECONDS, content_index
from switchboard.errors import InvalidRequestError

VARIANTS = ("video", "thumbnail")


async def create(request: Request) -> Response:
    services = container()
    async with metered(request, hold_seconds=HOLD_SECONDS) as call:
        given = validate(CreateVideo, await _body(request, services.settings.MAX_BODY_BYTES))
        with video_model_codes():
            model = services.catalog.get(given.model) if given.model else default_video_model()
        spec = openai_spec(model, given.prompt, given.seconds, given.size, _images(given))
        job = await services.videos.submit(call.principal, call.meter, model, spec)
        return json_response(openai_view(job))


async def list_videos(request: Request) -> Response:
    principal = await require_principal(request)
    if request.query_params.get("order", "desc") != "desc":
        raise InvalidRequestError(
            "Only order=desc (newest first) is supported.", param="order", code="invalid_value"
        )
    limit = page_limit(request, default=20, maximum=100)
    jobs, more = await container().videos.list(principal, after=page_after(request), limit=limit)
    return json_response(openai_list(jobs, more))


async def retrieve(request: Request) -> Response:
    principal = await require_principal(request)
    services = container()
    job = await services.videos.status(principal, request.path_params["video_id"], None)
    wait_ms = str(services.settings.VIDEO_POLL_SECONDS * 1000)
    return json_response(openai_view(job), headers={"openai-poll-after-ms": wait_ms})


async def delete(request: Request) -> Response:
    principal = await require_principal(request)
    video_id = request.path_params["video_id"]
    await container().videos.delete(principal, video_id)
    return json_response({"id": video_id, "object": "video.deleted", "deleted": True})


async def download(request: Request) -> Response:
    principal = await require_principal(request)
    variant = request.query_params.get("variant", "video")
    if variant not in VARIANTS:
        raise InvalidRequestError(
            f"variant must be one of {', '.join(VARIANTS)}.", param="variant", code="invalid_value"
        )
    url = await container().videos.content_url(
        principal, request.path_params["video_id"], None, lambda job: content_index(None, job),
        thumbnail=variant == "thumbnail",
    )  # fmt: skip
    return RedirectResponse(url, status_code=302)


async def _body(request: Request, max_bytes: int) -> dict[str, Any]:
    """The create body: JSON, or a multipart form's text fields (a file is refused)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await read_object(request, max_bytes)
    form = await read_form(request, max_bytes)
    if form.files:
        raise InvalidRequestError(
            "Uploaded reference files are not supported; send input_reference.image_url.",
            param="input_reference",
            code="unsupported_parameter",
        )
    return dict(form.fields)


def _images(given: CreateVideo) -> list[str]:
    reference = given.input_reference
    if reference is None:
        return []
    if reference.file_id is not None or reference.image_url is None:
        raise InvalidRequestError(
            "input_reference takes an image_url here (https); file ids are not supported.",
            param="input_reference",
            code="unsupported_parameter",
        )
    return [reference.image_url]


routes = [
    Route("/v1/videos", create, methods=["POST"]),
    Route("/v1/videos", list_videos, methods=["GET"]),
    Route("/v1/videos/{video_id}", retrieve, methods=["GET"]),
    Route("/v1/videos/{video_id}", delete, methods=["DELETE"]),
    Route("/v1/videos/{video_id}/content", download, methods=["GET"]),
]
