"""The one ASGI app factory: every function, and the local server, build their app here.

Routes are composed on their full paths (no mounted sub-apps), so middleware and error
handling are identical everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from switchboard.api.errors import handle_error, handle_http_exception
from switchboard.api.request_id import RequestIdMiddleware
from switchboard.errors import SwitchboardError


def create_app(routes: Sequence[BaseRoute]) -> Starlette:
    return Starlette(
        routes=list(routes),
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers={
            SwitchboardError: handle_error,
            HTTPException: handle_http_exception,
            Exception: handle_error,
        },
    )
