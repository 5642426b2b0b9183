"""Every response carries `x-request-id` (the OpenAI SDKs expose it as `_request_id`).

The id is always the server's own, never one a client chose, because it is stored in ledger
entries and names the request in every log line:

- through Mangum, API Gateway's `requestContext.requestId` from the event (also what
  Powertools logs as the correlation id);
- under the Lambda Web Adapter, the same id from the `x-amzn-request-context` header. The
  adapter sets that header on every request it forwards, replacing one a client sent, so it
  is trusted only when this process runs under the adapter in Lambda (decided once, from the
  environment, when the app is built); anywhere else it is client input and ignored;
- otherwise a new `req_<hex>`.

A client's own id, sent as `X-Client-Request-Id` (what OpenAI's API takes) or as
`x-request-id`, is echoed as `x-client-request-id` and logged beside ours when it is at most
512 printable ASCII characters; it is never used as our id.

Plain ASGI, so streamed responses pass through untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.api.middleware import HttpMiddleware

HEADER = b"x-request-id"
CLIENT_HEADER = b"x-client-request-id"
ADAPTER_CONTEXT = b"x-amzn-request-context"
CLIENT_ID_MAX_CHARS = 512


class RequestIdMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, trust_adapter_context: bool | None = None) -> None:
        super().__init__(app)
        if trust_adapter_context is None:
            trust_adapter_context = under_web_adapter(os.environ)
        self.trust_adapter_context = trust_adapter_context

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ()))
        request_id = self.request_id(scope, headers)
        client_id = client_request_id(headers)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        ids = [(HEADER, request_id.encode())]
        if client_id is not None:
            state["client_request_id"] = client_id
            ids.append((CLIENT_HEADER, client_id.encode()))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *ids]
            await send(message)

        await self.app(scope, receive, send_with_id)

    def request_id(self, scope: Scope, headers: Mapping[bytes, bytes]) -> str:
        context = self.request_context(scope, headers)
        if isinstance(context, dict) and context.get("requestId"):
            return str(context["requestId"])
        return "req_" + uuid.uuid4().hex

    def request_context(self, scope: Scope, headers: Mapping[bytes, bytes]) -> object:
        """API Gateway's request context, from where this process can trust it (or None)."""
        event = scope.get("aws.event")
        if event is not None:
            return event.get("requestContext")
        if self.trust_adapter_context and ADAPTER_CONTEXT in headers:
            with contextlib.suppress(ValueError):
                return json.loads(headers[ADAPTER_CONTEXT])
        return None


def under_web_adapter(environ: Mapping[str, str]) -> bool:
    """Whether this process is a Lambda function's web server behind the Lambda Web Adapter
    (template.yaml: AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap, AWS_LWA_PORT)."""
    in_lambda = bool(environ.get("AWS_LAMBDA_FUNCTION_NAME"))
    adapter = environ.get("AWS_LAMBDA_EXEC_WRAPPER") == "/opt/bootstrap"
    return in_lambda and (adapter or bool(environ.get("AWS_LWA_PORT")))


def client_request_id(headers: Mapping[bytes, bytes]) -> str | None:
    """The client's own id for its request, if it sent a usable one."""
    for name in (CLIENT_HEADER, HEADER):
        given = headers.get(name)
        if given and len(given) <= CLIENT_ID_MAX_CHARS and given.isascii():
            text = given.decode("ascii")
            if text.isprintable():
                return text
    return None
