"""ServingMiddleware: every HTTP request counted while it is served (services/threads.py
runs a request's blocking calls in its own thread when it is the only one)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from switchboard.services import threads


class ServingMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with threads.serving():
            await self.app(scope, receive, send)
