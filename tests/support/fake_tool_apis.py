"""Search and weather APIs on loopback for the built-in tools' tests, recording requests:
SearXNG's JSON (`/searxng?q=&format=json`), Brave's (`/brave`, wants X-Subscription-Token),
and Open-Meteo's geocoding (`/geocoding`) and forecast (`/forecast`)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

RESULTS = [
    ("https://docs.python.org/3/library/asyncio.html", "asyncio", "Asynchronous I/O."),
    ("https://peps.python.org/pep-0492/", "PEP 492", "Coroutines with async and await."),
]


def create_tool_apis() -> Starlette:
    received: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        received.append({"path": request.url.path, "params": dict(request.query_params),
                         "headers": dict(request.headers)})  # fmt: skip

    async def searxng(request: Request) -> Response:
        record(request)
        items = [{"url": u, "title": t, "content": c} for u, t, c in RESULTS]
        return JSONResponse({"query": request.query_params["q"], "results": items})

    async def brave(request: Request) -> Response:
        record(request)
        if request.headers.get("x-subscription-token") != "brave-key":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        items = [{"url": u, "title": t, "description": c} for u, t, c in RESULTS]
        return JSONResponse({"web": {"results": items}})

    async def geocoding(request: Request) -> Response:
        record(request)
        if request.query_params["name"].lower() != "paris":
            return JSONResponse({})
        place = {"name": "Paris", "country": "France", "latitude": 48.85, "longitude": 2.35}
        return JSONResponse({"results": [place]})

    async def forecast(request: Request) -> Response:
        record(request)
        current = {"temperature_2m": 12.5, "relative_humidity_2m": 70, "wind_speed_10m": 9.4}
        units = {"temperature_2m": "°C", "relative_humidity_2m": "%", "wind_speed_10m": "km/h"}
        return JSONResponse({"current": current, "current_units": units})

    app = Starlette(
        routes=[
            Route("/searxng", searxng),
            Route("/brave", brave),
            Route("/geocoding", geocoding),
            Route("/forecast", forecast),
        ]
    )
    app.state.received = received
    return app
