"""Rate limits at the edge: counting a request that is not metered, and the X-RateLimit
headers, written on every authenticated response (errors and streams included) from the
caller's window state that counting leaves in the request's state.

    X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Window: 60s, X-RateLimit-Reset
    X-RateLimit-Limit-Tokens, X-RateLimit-Remaining-Tokens     (metered routes)

The policy is domain/limits.py's; the counting services/limits.py's.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from switchboard.api.middleware import HttpMiddleware
from switchboard.bootstrap import container
from switchboard.domain.limits import WINDOW_SECONDS, RateState
from switchboard.domain.principals import Principal


async def count_request(request: Request, principal: Principal) -> RateState:
    """Count a request that is not metered; 429 when the window is full."""
    state = await container().limiter.admit(principal)
    request.state.rate = state
    state.check()
    return state


def headers(state: RateState) -> list[tuple[bytes, bytes]]:
    values = [
        (b"x-ratelimit-limit", state.limits.requests_per_minute),
        (b"x-ratelimit-remaining", state.remaining_requests),
        (b"x-ratelimit-window", f"{WINDOW_SECONDS}s"),
        (b"x-ratelimit-reset", state.retry_after),
    ]
    if state.tokens_checked:
        values += [
            (b"x-ratelimit-limit-tokens", state.limits.tokens_per_minute),
            (b"x-ratelimit-remaining-tokens", state.remaining_tokens),
        ]
    return [(name, str(value).encode()) for name, value in values]


class RateHeadersMiddleware(HttpMiddleware):
    """Adds the caller's X-RateLimit headers to the response of a counted request. Plain
    ASGI: streamed responses pass through untouched."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {}).get("rate")
                if state is not None:
                    message["headers"] = [*message.get("headers", []), *headers(state)]
            await send(message)

        await self.app(scope, receive, send_with_limits)
