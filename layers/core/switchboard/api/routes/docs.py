"""GET /openapi.json (the generated OpenAPI 3.1 document) and GET /docs (Swagger UI, bundled:
its files are the docs function's own, nothing is loaded from the internet). No key.

Which routes the document describes: on the local platform, the routes its app mounted from
the template's Api events; in a function serving alone (DocsFunction in AWS), every declared
operation, which tests/unit/test_openapi.py holds equal to the template's Api events.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from switchboard.api.openapi.document import build_document
from switchboard.api.openapi.operations import declared_operations
from switchboard.bootstrap import container
from switchboard.errors import NotFoundError

ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "init.js": "application/javascript",
}
# The viewer may load only what this API serves (inline styles are Swagger UI's own).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:"
)
Routes = tuple[tuple[str, str], ...]


def make_routes(static: Path) -> list[Route]:
    """The docs routes, serving the viewer's files from `static` (the function's folder)."""

    async def page(request: Request) -> Response:
        body = _read(static / "index.html")
        return Response(body, media_type="text/html", headers={"Content-Security-Policy": CSP})

    async def asset(request: Request) -> Response:
        name = request.path_params["asset"]
        if name not in ASSETS:
            raise NotFoundError(f"No such file: /docs/{name}.", code="unknown_url")
        headers = {"Cache-Control": "public, max-age=3600"}
        return Response(_read(static / name), media_type=ASSETS[name], headers=headers)

    return [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", page, methods=["GET"]),
        Route("/docs/{asset}", asset, methods=["GET"]),
    ]


async def openapi_json(request: Request) -> Response:
    routes = template_routes(request.app.routes) or declared_routes()
    body = document_bytes(routes, container().settings.API_KEY_PREFIX)
    return Response(body, media_type="application/json")


def template_routes(mounted: list[BaseRoute]) -> Routes:
    """What the local platform mounted from the template's Api events: its routes name the
    function that serves them (local/platform.py's FunctionRoute)."""
    return tuple(
        (method, route.path)
        for route in mounted
        if isinstance(route, Route) and getattr(route, "function_name", None)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    )


def declared_routes() -> Routes:
    return tuple(operation.key for operation in declared_operations())


@functools.lru_cache(maxsize=4)
def document_bytes(routes: Routes, key_prefix: str) -> bytes:
    document = build_document(routes, declared_operations(), key_prefix=key_prefix)
    return json.dumps(document, separators=(",", ":")).encode()


@functools.lru_cache(maxsize=8)
def _read(path: Path) -> bytes:
    return path.read_bytes()
