"""An OpenAI-compatible upstream for tests and benchmarks.

    app = create_upstream(latency_ms=20)
    with serve_in_thread(app) as base_url:      # "http://127.0.0.1:<port>/v1"
        ...
    app.state.received                          # list[ReceivedRequest]

Or as a process: `python tests/support/fake_upstream.py --port 8901 --latency-ms 50`.

Replies are deterministic: the same request gives the same text and the same usage,
streamed or not. The requested model name selects a failure mode:

    fail-500              500 whose body holds SECRET_ERROR_TEXT (must never reach clients)
    fail-400              400 whose body holds SECRET_ERROR_TEXT
    fail-garbage          200 with an HTML body instead of JSON
    fail-timeout          answers only after HANG_SECONDS (or when the client gives up)
    fail-midstream        streams two chunks, then breaks the connection
    fail-midstream-event  streams two chunks, then sends a `{"error": ...}` event
    slow-stream           waits chunk_delay_ms between chunks
    sse-quirks            streams with CRLF line ends, comments and multi-line data

and, for the money tests, an upstream whose answers are wrong in ways that must never
move a balance the wrong way:

    usage-negative        usage {"prompt_tokens": -500, "completion_tokens": -1000}
    usage-missing         no usage at all, streamed or not
    usage-garbage         usage counts that are a string and a fraction
    usage-absurd          claims 1,000,000 completion tokens
    ignores-limit         2,000 tokens of reply whatever max_tokens says (and says so)
    long-reply            400 KB of reply (80,000 tokens), whatever max_tokens says
    surrogate-reply       a reply holding a lone surrogate escape ("\\ud800")

and, for experiments' llm_judge evaluator:

    grader                always answers "7" (fake_replies.GRADE_REPLY)

and, for the built-in tools' loop:

    tool-caller           follows the script in its first user message, one tool call a
                          round ("script: calculator 6*7 | get_time now"; "script: forever"
                          calls calculator every round): fake_replies.scripted_call
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support import fake_replies as replies
from tests.support.fake_replies import SECRET_ERROR_TEXT

HANG_SECONDS = 60.0
MODELS = ("fake-chat", "fake-embed", "slow-stream", "fail-500", "fail-400", "fail-timeout")


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def create_upstream(
    latency_ms: float = 0,
    *,
    chunk_delay_ms: float = 200,
    api_key: str | None = None,
    embedding_dimensions: int = 16,
    record: bool = True,
) -> Starlette:
    """The app. `api_key`, when given, is required as a Bearer token (else 401)."""
    received: list[ReceivedRequest] = []

    async def receive(request: Request) -> tuple[Any, Response | None]:
        body = await request.json() if request.method == "POST" else None
        if record:
            headers = {k.lower(): v for k, v in request.headers.items()}
            received.append(ReceivedRequest(request.method, request.url.path, headers, body))
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return body, _error(401, "Incorrect API key provided.", "invalid_api_key")
        failure = _failure(body)
        if failure is not None:
            return body, failure
        await asyncio.sleep(latency_ms / 1000)
        if body is not None and body.get("model") == "fail-timeout":
            await _hang(request)
        return body, None

    async def chat(request: Request) -> Response:
        body, failure = await receive(request)
        if failure is not None:
            return failure
        if body.get("stream"):
            events = replies.stream_events(body, chunk_delay_ms / 1000)
            return _sse(events, body.get("model") == "sse-quirks", request.app.state)
        return _json(replies.completion(body))

    async def embeddings(request: Request) -> Response:
        body, failure = await receive(request)
        if failure is not None:
            return failure
        return JSONResponse(replies.embeddings(body, embedding_dimensions))

    async def models(request: Request) -> Response:
        _, failure = await receive(request)
        data = [
            {"id": m, "object": "model", "created": replies.CREATED, "owned_by": "fake"}
            for m in MODELS
        ]
        return failure or JSONResponse({"object": "list", "data": data})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
    app.state.received = received
    app.state.streams_finished = 0
    return app


def _json(body: Any) -> Response:
    """JSON as Python writes it by default: non-ASCII (a lone surrogate too) as escapes."""
    return Response(json.dumps(body), media_type="application/json")


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {"message": message, "type": kind, "param": None, "code": code}
    return JSONResponse({"error": error}, status_code=status)


def _failure(body: Any) -> Response | None:
    model = body.get("model") if isinstance(body, dict) else None
    if model == "fail-500":
        return _error(500, f"Internal failure: {SECRET_ERROR_TEXT}")
    if model == "fail-400":
        return _error(400, f"Invalid parameter near {SECRET_ERROR_TEXT}", "invalid_value")
    if model == "fail-garbage":
        return Response(f"<html>{SECRET_ERROR_TEXT}</html>", media_type="text/html")
    return None


async def _hang(request: Request) -> None:
    for _ in range(int(HANG_SECONDS / 0.05)):
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


def _sse(events: AsyncIterator[str], quirky: bool, state: Any) -> StreamingResponse:
    """Plain `data: ...` frames, or with `sse-quirks` the oddities real upstreams send."""

    async def frames() -> AsyncIterator[str]:
        if quirky:
            yield ": keep-alive comment\r\n\r\n"
        async for data in events:
            if quirky:
                yield "".join(f"data: {line}\r\n" for line in _split_json(data)) + "\r\n"
            else:
                yield f"data: {data}\n\n"
        state.streams_finished += 1

    return StreamingResponse(frames(), media_type="text/event-stream")


def _split_json(data: str) -> list[str]:
    """JSON spread over two `data:` lines, as the SSE spec allows (JSON ignores newlines)."""
    if not data.startswith("{"):
        return [data]
    return [data[:1], data[1:]]


# --- serving -------------------------------------------------------------------------


@contextmanager
def serve_in_thread(app: Starlette, **config: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) in a thread; yields the base URL with /v1."""
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "off", "ws": "none"}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **options, **config))
    server.config.timeout_graceful_shutdown = 2
    thread = threading.Thread(target=server.run, name="fake-upstream", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the fake upstream did not start")
            time.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description="An OpenAI-compatible fake upstream.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--chunk-delay-ms", type=float, default=200)
    args = parser.parse_args()
    app = create_upstream(args.latency_ms, chunk_delay_ms=args.chunk_delay_ms, record=False)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        lifespan="off",
        ws="none",
    )


if __name__ == "__main__":
    main()
