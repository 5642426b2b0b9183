"""One structured line per request, through the service's Powertools logger:

    {"level": "INFO", "message": "POST /v1/{app_id}/chat/completions 200", "method": "POST",
     "route": "/v1/{app_id}/chat/completions", "status": 200, "latency_ms": 812.4,
     "first_byte_ms": 95.1, "request_id": "req_...", "user_id": "usr_...", ...}

The route is the template a route was declared with, never the raw path; `user_id` is there
when the caller authenticated (api/auth.py leaves the principal in the request state);
`client_request_id` when the client sent its own. A streamed response is logged when its
stream ends, with `first_byte_ms` beside the latency to the end. Nothing from headers, cookies
or bodies is logged.

While a request runs, every line logged through the service logger carries its `request_id`
(a Powertools context key, so concurrent requests do not mix); the keys a request adds are
taken off when it ends.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from aws_lambda_powertools import Logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.api.middleware import HttpMiddleware

SERVICE = "switchboard"  # template.yaml's POWERTOOLS_SERVICE_NAME; `switchboard.*` loggers
CLIENT_CLOSED = 499  # nothing was sent: the client went away first (nginx's convention)


@functools.cache
def service_logger() -> Logger:
    """The Powertools logger (JSON lines on stdout) that the standard `switchboard.*` loggers
    propagate to. Its level is POWERTOOLS_LOG_LEVEL's, INFO by default."""
    return Logger(service=SERVICE)


class AccessLogMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.logger = service_logger()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        keys = self.logger.thread_safe_get_current_keys()
        self.logger.thread_safe_append_keys(request_id=state.get("request_id"))
        status = CLIENT_CLOSED
        first_byte: float | None = None

        async def timed(message: Message) -> None:
            nonlocal status, first_byte
            if message["type"] == "http.response.start":
                status = message["status"]
            elif first_byte is None and message.get("more_body"):
                first_byte = time.perf_counter()  # the first chunk of a streamed body
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            line = fields(scope, status, started, first_byte)
            # %-arguments, not an f-string: Powertools tries to parse a plain message as JSON
            self.logger.info("%s %s %s", line["method"], line["route"] or "-", status, extra=line)
            if self.logger.thread_safe_get_current_keys() is not keys:
                self.logger.thread_safe_clear_keys()
                self.logger.thread_safe_append_keys(**keys)


def fields(scope: Scope, status: int, started: float, first_byte: float | None) -> dict[str, Any]:
    state = scope["state"]
    line: dict[str, Any] = {
        "method": scope["method"],
        "route": route_of(scope),
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "request_id": state.get("request_id"),
    }
    if first_byte is not None:
        line["first_byte_ms"] = round((first_byte - started) * 1000, 1)
    principal = state.get("principal")
    if principal is not None:
        line["user_id"] = principal.user_id
    if "client_request_id" in state:
        line["client_request_id"] = state["client_request_id"]
    return line


def route_of(scope: Scope) -> str | None:
    """The matched route's template (Starlette leaves the route in the scope); None when no
    route matched the path."""
    return getattr(scope.get("route"), "path", None)
