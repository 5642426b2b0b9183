"""An exception nothing handled becomes a logged 500 in OpenAI's envelope, and the keep-alive
connection it came on stays usable: a real uvicorn server on loopback, one connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from switchboard.api.app import create_app
from tests.support.fake_upstream import serve_in_thread
from tests.support.logs import access_lines, captured_logs

SECRET = "db-password=hunter2"
ENVELOPE = {
    "error": {
        "message": "The server had an error while processing your request.",
        "type": "server_error",
        "param": None,
        "code": "internal_error",
    }
}


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError(SECRET)


async def port(request: Request) -> PlainTextResponse:
    """The client's port: the same on every call while the connection is reused."""
    assert request.client is not None
    return PlainTextResponse(str(request.client.port))


async def broken_stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        raise RuntimeError(SECRET)

    return StreamingResponse(chunks(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    routes = [
        Route("/boom", boom, methods=["GET", "POST"]),
        Route("/port", port),
        Route("/broken-stream", broken_stream),
    ]
    with serve_in_thread(create_app(routes)) as base_url:
        limits = httpx.Limits(max_connections=1)
        with httpx.Client(base_url=base_url.removesuffix("/v1"), limits=limits) as client:
            yield client


def test_each_unhandled_error_is_a_500_on_the_same_connection(http: httpx.Client) -> None:
    connection = http.get("/port").text
    with captured_logs() as lines:
        failures = [
            http.post("/boom", json={"n": n}) if n % 2 else http.get("/boom") for n in range(6)
        ]
        ports = {http.get("/port").text for _ in failures}
    for failed in failures:
        assert failed.status_code == 500
        assert failed.json() == ENVELOPE
        assert failed.headers["x-request-id"].startswith("req_")
        assert "close" not in failed.headers.get("connection", "")
        assert SECRET not in failed.text
    assert ports == {connection}
    errors = [line for line in lines if line.get("exception_name") == "RuntimeError"]
    assert [e["request_id"] for e in errors] == [f.headers["x-request-id"] for f in failures]
    assert all(SECRET in e["exception"] for e in errors)  # the operator sees what happened
    assert [a["status"] for a in access_lines(lines) if a["route"] == "/boom"] == [500] * 6


def test_an_error_inside_a_stream_ends_it_on_the_same_connection(http: httpx.Client) -> None:
    connection = http.get("/port").text
    with captured_logs() as lines:
        with http.stream("GET", "/broken-stream") as response:
            body = b"".join(response.iter_bytes())
        assert http.get("/port").text == connection
    assert response.status_code == 200 and response.headers["x-request-id"].startswith("req_")
    assert body == b"data: first\n\n"
    [error] = [line for line in lines if line.get("exception_name") == "RuntimeError"]
    assert error["request_id"] == response.headers["x-request-id"]
    [access] = [a for a in access_lines(lines) if a["route"] == "/broken-stream"]
    assert access["status"] == 200 and "first_byte_ms" in access
