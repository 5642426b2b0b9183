"""CORS: browsers on the origins CORS_ALLOWED_ORIGINS lists (the template's
CorsAllowedOrigins, comma-separated; empty: none) may call the API, with credentials.

- A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here,
  before routing: 204 with Access-Control-Allow-Origin echoing the listed origin, Allow-
  Credentials, Allow-Methods, Allow-Headers and Max-Age; an origin not listed gets 403 in the
  error envelope and no Allow-* header, so the browser stops there.
- Any other response to a listed origin, errors and 500s included, carries Allow-Origin,
  Allow-Credentials and Expose-Headers. An origin not listed gets no CORS header at all.
- `Vary: Origin` on every answer to a request with an Origin, once any origin is listed.

The same code answers in AWS: the template routes OPTIONS on every API path to the
PreflightFunction (tests/unit/test_openapi.py holds that list to the template's paths).
"""

from __future__ import annotations

import functools

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from switchboard.api.errors import error_response
from switchboard.api.middleware import HttpMiddleware
from switchboard.bootstrap import container
from switchboard.errors import PermissionDeniedError

ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = (
    "Authorization, Content-Type, Idempotency-Key, X-Client-Request-Id, OpenAI-Organization, "
    "OpenAI-Project, OpenAI-Beta"
)
EXPOSE_HEADERS = (
    "x-request-id, x-client-request-id, Retry-After, Location, openai-poll-after-ms, "
    "x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-ratelimit-window, "
    "x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens"
)
MAX_AGE_SECONDS = 600


@functools.lru_cache(maxsize=8)
def parse_origins(raw: str) -> frozenset[str]:
    """`https://a.example, https://b.example/` -> the origins, without a trailing slash."""
    return frozenset(part.strip().rstrip("/") for part in raw.split(",") if part.strip())


class CorsMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = parse_origins(container().settings.CORS_ALLOWED_ORIGINS)
        listed = origin in allowed
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(origin if listed else None, headers, allowed)(scope, receive, send)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = MutableHeaders(scope=message)
                response.add_vary_header("Origin")
                if listed:
                    response.update(_actual(origin))
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _actual(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": EXPOSE_HEADERS,
    }


def _preflight(origin: str | None, headers: Headers, allowed: frozenset[str]) -> Response:
    if origin is None:
        refused = error_response(
            PermissionDeniedError(
                "This origin may not call the API (CORS).", code="cors_origin_not_allowed"
            )
        )
        if allowed:
            refused.headers["Vary"] = "Origin"
        return refused
    requested = headers.get("access-control-request-headers", "").strip()
    answer = Response(status_code=204, headers=_actual(origin))
    answer.headers.update(
        {
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            # a listed origin may send what it asks for (the SDKs add X-Stainless-* headers)
            "Access-Control-Allow-Headers": ", ".join(h for h in (ALLOW_HEADERS, requested) if h),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
            "Vary": "Origin",
        }
    )
    del answer.headers["Access-Control-Expose-Headers"]
    return answer
