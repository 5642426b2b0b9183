"""Video jobs in our shape, billed to the caller (/v1/videos/completions) or, under an app
(/v1/{app_id}/videos/completions), to its owner within its allowedModels:

    POST  …/videos/completions                   202 {job_id, status, polling_url}
    GET   …/videos/completions/{job_id}          the job (the poll is recorded)
    GET   …/videos/completions/{job_id}/content  302 to a presigned URL of variant `index`
    POST  …/videos/completions/{job_id}/cancel   the job, cancelled if it was running

The submit is metered: it counts in the caller's rate window and holds the job's price.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.metering import app_of, metered, with_app_model
from switchboard.api.requests import read_object, validate
from switchboard.api.responses import json_response
from switchboard.api.schemas.videos import SubmitVideo, job_view, operator_fields, submitted_view
from switchboard.bootstrap import container
from switchboard.domain.catalog import ModelEntry, ModelType
from switchboard.domain.principals import Principal
from switchboard.domain.video_options import video_spec
from switchboard.domain.videos import HOLD_SECONDS, content_index
from switchboard.errors import InvalidRequestError, ModelNotFoundError


async def submit(request: Request) -> Response:
    services = container()
    app_id = request.path_params.get("app_id")
    async with metered(request, app_scoped=app_id is not None, hold_seconds=HOLD_SECONDS) as call:
        body = await read_object(request, services.settings.MAX_BODY_BYTES)
        with video_model_codes():
            if call.app is not None:
                body = with_app_model(body, call.app, ModelType.VIDEO)
            given = validate(SubmitVideo, body)
            model = services.catalog.get(_required(given.model))
        spec = video_spec(
            model, given.prompt, duration=given.duration, resolution=given.resolution,
            aspect_ratio=given.aspect_ratio, generate_audio=given.generate_audio,
            seed=given.seed, input_images=given.input_images or (),
        )  # fmt: skip
        job = await services.videos.submit(call.principal, call.meter, model, spec)
        view = submitted_view(job, public_base(request), app_id)
        return json_response(view, status=202, headers={"Location": view["polling_url"]})


async def poll(request: Request) -> Response:
    principal, app_id = await _caller(request)
    job = await container().videos.status(principal, request.path_params["job_id"], app_id)
    return json_response(_view(job, request, principal, app_id))


async def content(request: Request) -> Response:
    principal, app_id = await _caller(request)
    index = request.query_params.get("index")
    url = await container().videos.content_url(
        principal, request.path_params["job_id"], app_id, lambda job: content_index(index, job)
    )
    return RedirectResponse(url, status_code=302)


async def cancel(request: Request) -> Response:
    principal, app_id = await _caller(request)
    job = await container().videos.cancel(principal, request.path_params["job_id"], app_id)
    return json_response(_view(job, request, principal, app_id))


@contextmanager
def video_model_codes() -> Iterator[None]:
    """An unknown or retired model is 404 MODEL_NOT_FOUND on the video routes."""
    try:
        yield
    except ModelNotFoundError as exc:
        raise ModelNotFoundError(exc.message, param="model", code="MODEL_NOT_FOUND") from None


def public_base(request: Request) -> str:
    """The API's absolute base URL as the client reached it (API Gateway's stage included)."""
    event = request.scope.get("aws.event") or {}
    full, path = (event.get("requestContext") or {}).get("path"), event.get("path")
    prefix = ""
    if isinstance(full, str) and isinstance(path, str) and path and full.endswith(path):
        prefix = full[: len(full) - len(path)]
    return f"{request.url.scheme}://{request.url.netloc}{prefix}"


async def _caller(request: Request) -> tuple[Principal, str | None]:
    """The caller, and the app the path names (which they must be able to reach: 404)."""
    principal = await require_principal(request)
    app_id = request.path_params.get("app_id")
    if app_id is not None:
        await app_of(request, principal)
    return principal, app_id


def _view(job: Any, request: Request, principal: Principal, app_id: str | None) -> dict[str, Any]:
    view = job_view(job, public_base(request), app_id)
    return view | operator_fields(job) if principal.is_admin else view


def _required(model: str | None) -> str:
    if model is None:
        raise InvalidRequestError(
            "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
        )
    return model


def default_video_model() -> ModelEntry:
    """The catalog's first video model still served (OpenAI's shape may omit `model`)."""
    catalog = container().catalog
    for entry in catalog.of_type(ModelType.VIDEO):
        try:
            return catalog.get(entry.id)
        except ModelNotFoundError:
            continue
    raise ModelNotFoundError("No video model is available.", param="model", code="MODEL_NOT_FOUND")


routes = [
    Route(f"{scope}/videos/completions{tail}", endpoint, methods=[method])
    for scope in ("/v1", "/v1/{app_id}")
    for tail, endpoint, method in (
        ("", submit, "POST"),
        ("/{job_id}", poll, "GET"),
        ("/{job_id}/content", content, "GET"),
        ("/{job_id}/cancel", cancel, "POST"),
    )
]
