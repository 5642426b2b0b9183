"""The one ASGI app factory: every function, and the local server, build their app here.

Routes are composed on their full paths (no mounted sub-apps), so middleware and error
handling are identical everywhere. The middleware, outermost first, all plain ASGI so that
streamed responses pass through untouched:

    FirstRequestMiddleware    the process's first request without the garbage collector
    ServingMiddleware         the requests being served, counted (services/threads.py)
    RequestIdMiddleware       our request id: x-request-id on every response
    RateHeadersMiddleware     X-RateLimit-* on the response of every counted request
    AccessLogMiddleware       one log line per request, when its response has ended
    CorsMiddleware            preflights answered, CORS headers on answers to listed origins
    UnhandledErrorMiddleware  an exception nothing handled becomes a logged 500
    TraceBodiesMiddleware     large trace bodies to S3 once the response has ended
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from switchboard.api.access_log import AccessLogMiddleware
from switchboard.api.cors import CorsMiddleware
from switchboard.api.errors import UnhandledErrorMiddleware, handle_error, handle_http_exception
from switchboard.api.limits import RateHeadersMiddleware
from switchboard.api.request_id import RequestIdMiddleware
from switchboard.api.serving import ServingMiddleware
from switchboard.api.startup import FirstRequestMiddleware
from switchboard.api.trace_bodies import TraceBodiesMiddleware
from switchboard.errors import SwitchboardError


def create_app(routes: Sequence[BaseRoute]) -> Starlette:
    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(FirstRequestMiddleware),
            Middleware(ServingMiddleware),
            Middleware(RequestIdMiddleware),
            Middleware(RateHeadersMiddleware),
            Middleware(AccessLogMiddleware),
            Middleware(CorsMiddleware),
            Middleware(UnhandledErrorMiddleware),
            Middleware(TraceBodiesMiddleware),
        ],
        exception_handlers={
            SwitchboardError: handle_error,
            HTTPException: handle_http_exception,
        },
    )
