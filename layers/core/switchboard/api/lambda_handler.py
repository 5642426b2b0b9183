"""Lambda entry points: an ASGI app behind API Gateway, through Mangum, with Powertools logging.

Mangum runs each invocation on the thread's current event loop. The handler keeps one loop
per container and makes it current, so that loop-bound clients (the shared httpx client)
live across warm invocations instead of being rebuilt.

Building the handler is the last step of a function module's import, so it also freezes the
garbage collector's view of what exists by then (`gc.freeze`): the modules, the app and
their objects live as long as the container, and a cold start's first event no longer
pays a full collection that walks all of them (about 25 ms of CPU, benchmarks/cold_start.py).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum
from starlette.types import ASGIApp

from switchboard.api.access_log import service_logger

Handler = Any


def make_handler(app: ASGIApp) -> Handler:
    logger = service_logger()
    asgi = Mangum(app, lifespan="off", api_gateway_base_path="/")  # type: ignore[arg-type]
    loops: list[asyncio.AbstractEventLoop] = []

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not loops or loops[0].is_closed():
            loops[:] = [asyncio.new_event_loop()]
        asyncio.set_event_loop(loops[0])
        return asgi(event, context)

    gc.freeze()
    return handler
