"""Renders every error as OpenAI's envelope, with the status from errors.HTTP_ERRORS.

Starlette's exception handlers take the errors routes raise on purpose; UnhandledErrorMiddleware
takes anything else: a bug becomes a logged 500 in the same envelope, and the connection
stays usable.
"""

from __future__ import annotations

import contextlib
import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from switchboard.api.middleware import HttpMiddleware
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


class UnhandledErrorMiddleware(HttpMiddleware):
    """The last resort, inside the request-id and access-log middleware (so its 500 carries
    `x-request-id` and is logged like any response), outside everything that may fail.

    Starlette's own ServerErrorMiddleware renders a 500 and then re-raises, and uvicorn then
    drops the keep-alive connection under the client's next request. Here the app returns
    normally instead. Once a response has started its status cannot change: the error is
    logged and the body ended (a chunked stream just ends; a body shorter than its declared
    Content-Length makes the server close the connection, as it must).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = ended = False

        async def watched(message: Message) -> None:
            nonlocal started, ended
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                ended = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            pass  # the client hung up while we read its body: nobody to answer
        except Exception as exc:
            if not started:
                await error_response(exc)(scope, receive, send)  # logs it
                return
            logger.exception("unhandled error after the response started", exc_info=exc)
            if not ended:
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
