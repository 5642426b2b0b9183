"""Every response carries `x-request-id` (the OpenAI SDKs expose it as `_request_id`).

It is API Gateway's request id when there is one (Mangum passes the event along; the Lambda
Web Adapter passes the request context in the `x-amzn-request-context` header), which is also
what Powertools logs as the correlation id; else the caller's own `x-request-id`; else a new
one. Plain ASGI, so streamed responses pass through untouched.

Authenticated responses, errors included, also carry the caller's X-RateLimit-* headers:
api/auth.py leaves the rate window's state in the request scope.
"""

from __future__ import annotations

import contextlib
import json
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
ADAPTER_CONTEXT = b"x-amzn-request-context"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (HEADER, request_id.encode())]
                rate = scope["state"].get("rate")
                if rate is not None:
                    headers += [(k.lower().encode(), v.encode()) for k, v in rate.headers().items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def request_id_of(scope: Scope) -> str:
    context = (scope.get("aws.event") or {}).get("requestContext") or {}
    headers = dict(scope.get("headers", []))
    if not context and ADAPTER_CONTEXT in headers:
        with contextlib.suppress(ValueError):
            context = json.loads(headers[ADAPTER_CONTEXT])
    if isinstance(context, dict) and context.get("requestId"):
        return str(context["requestId"])
    given = headers.get(HEADER, b"")
    if 0 < len(given) <= 128 and given.isascii():
        return str(given.decode())
    return "req_" + uuid.uuid4().hex
