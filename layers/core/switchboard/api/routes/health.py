"""GET /health: no authentication; 200 once the app can serve."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.responses import json_response


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


routes = [Route("/health", health, methods=["GET"])]
