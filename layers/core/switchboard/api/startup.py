"""A function container's start (its imports, its first request) without the garbage collector.

A function module's import creates some 200,000 objects (the modules, pydantic's schemas,
the app), and every one of them lives as long as the container. The collector, left on,
walks them over and over while they are being made (about 130 collections in a cold start of
the inference function) and frees next to nothing: 6 to 10 ms of CPU (benchmarks/cold_start.py).

The process's first request is the rest of that start: it imports and builds what the
container keeps (the AWS clients and their adapters, the services, pydantic's validators),
about 40 collections more (5 to 8 ms). `FirstRequestMiddleware` runs it with collection off
until its response starts, then freezes what exists, as for the imports. What that request
leaves in reference cycles is frozen with it: one request's worth, once per process.

This module imports nothing of ours, so that it can come first.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from typing import Any


@contextmanager
def defer_collection() -> Iterator[None]:
    """Run the block with garbage collection off; then freeze what exists (`gc.freeze`: later
    collections leave it alone) and turn collection back on, if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_on:
            gc.enable()


class ContainerStart:
    """Whether the process's first HTTP request is still to come."""

    def __init__(self) -> None:
        self.first_request_pending = True


PROCESS_START = ContainerStart()


class FirstRequestMiddleware:
    """The first HTTP request of the process (of `start`) with garbage collection deferred
    until its response starts; any other request, or scope, passed along as it came."""

    def __init__(self, app: Any, start: ContainerStart = PROCESS_START) -> None:
        self.app = app
        self._start = start

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self._start.first_request_pending:
            await self.app(scope, receive, send)
            return
        self._start.first_request_pending = False
        with ExitStack() as deferred:
            deferred.enter_context(defer_collection())

            async def sending(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    deferred.close()  # frozen and back on, before the response goes out
                await send(message)

            await self.app(scope, receive, sending)
