"""Renders every error as OpenAI's envelope, with the status from errors.HTTP_ERRORS."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.responses import json_response
from switchboard.errors import (
    MethodNotAllowedError,
    NotFoundError,
    RateLimitedError,
    SwitchboardError,
    classify,
    error_body,
)

logger = logging.getLogger("switchboard.api")


def error_response(error: BaseException) -> Response:
    status, _ = classify(error)
    if not isinstance(error, SwitchboardError):
        logger.exception("unhandled error", exc_info=error)
    headers = {}
    if isinstance(error, RateLimitedError):
        headers["Retry-After"] = str(error.retry_after)
    return json_response(error_body(error), status=status, headers=headers)


async def handle_error(request: Request, exc: Exception) -> Response:
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors (unknown route, wrong method) in the same envelope."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 405:
        error: SwitchboardError = MethodNotAllowedError(f"Method not allowed ({where}).")
    elif exc.status_code == 404:
        error = NotFoundError(f"Invalid URL ({where}).", code="unknown_url")
    else:  # Starlette raises no others today; keep its status, in our envelope
        return json_response(error_body(SwitchboardError(str(exc.detail))), status=exc.status_code)
    response = error_response(error)
    if exc.headers:
        response.headers.update(exc.headers)
    return response
