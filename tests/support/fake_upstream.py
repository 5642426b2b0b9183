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
    surrogate-reply       a reply holding a lone surrogate escape ("\\ud800")
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import struct
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

SECRET_ERROR_TEXT = "db-password=hunter2 at internal-host-10.0.0.7"
REPLY = "Hello from the fake upstream. This reply is always the same."
JSON_REPLY = '{"answer": "fake"}'
HANG_SECONDS = 60.0
CREATED = 1_735_689_600
FINGERPRINT = "fp_fake"
MODELS = ("fake-chat", "fake-embed", "slow-stream", "fail-500", "fail-400", "fail-timeout")


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class _Midstream(Exception):
    """Raised inside a streamed body: uvicorn then drops the connection."""


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
            events = _stream_events(body, chunk_delay_ms / 1000)
            return _sse(events, body.get("model") == "sse-quirks", request.app.state)
        return _json(_completion(body))

    async def embeddings(request: Request) -> Response:
        body, failure = await receive(request)
        if failure is not None:
            return failure
        return JSONResponse(_embeddings(body, embedding_dimensions))

    async def models(request: Request) -> Response:
        _, failure = await receive(request)
        data = [
            {"id": m, "object": "model", "created": CREATED, "owned_by": "fake"} for m in MODELS
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


# --- chat completions ---------------------------------------------------------------


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """About four characters a token, four tokens of framing a message, three to prime."""
    return 3 + sum(4 + -(-len(_text_of(m.get("content"))) // 4) for m in messages)


def _tool_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """A call of the named tool, or the first one when tool_choice is "required"."""
    choice, tools = body.get("tool_choice"), body.get("tools") or []
    if isinstance(choice, dict):
        name = choice["function"]["name"]
    elif choice == "required" and tools:
        name = tools[0]["function"]["name"]
    else:
        return None
    return {"id": "call_fake_0", "type": "function", "function": {"name": name, "arguments": "{}"}}


IGNORED_LIMIT_TOKENS = 2000
SURROGATE = "\ud800"  # a lone high surrogate: JSON allows the escape, UTF-8 cannot hold it


def _reply_pieces(body: dict[str, Any]) -> tuple[list[str], str]:
    """The reply as one piece a token, cut at the output limit, and its finish reason."""
    fmt = (body.get("response_format") or {}).get("type")
    text = JSON_REPLY if fmt in ("json_object", "json_schema") else REPLY
    if body.get("model") == "surrogate-reply":
        text = f"Broken {SURROGATE} text"
    words = text.split(" ")
    pieces = [words[0]] + [" " + word for word in words[1:]]
    if body.get("model") == "ignores-limit":
        return [" word"] * IGNORED_LIMIT_TOKENS, "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit is not None and limit < len(pieces):
        return pieces[:limit], "length"
    return pieces, "stop"


def _usage(body: dict[str, Any]) -> dict[str, Any] | None:
    pieces, _ = _reply_pieces(body)
    completion = (len(pieces) if _tool_call(body) is None else 5) * int(body.get("n") or 1)
    prompt = _prompt_tokens(body.get("messages") or [])
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    model = body.get("model")
    if model == "usage-missing":
        return None
    if model == "usage-negative":
        usage |= {"prompt_tokens": -500, "completion_tokens": -1000, "total_tokens": -1500}
    if model == "usage-garbage":
        usage |= {"prompt_tokens": "12", "completion_tokens": 3.5}
    if model == "usage-absurd":
        usage |= {"completion_tokens": 1_000_000, "total_tokens": prompt + 1_000_000}
    return usage


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    pieces, finish = _reply_pieces(body)
    call = _tool_call(body)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces), "refusal": None}
    if call is not None:
        message, finish = {**message, "content": None, "tool_calls": [call]}, "tool_calls"
    choices = [
        {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
        for i in range(int(body.get("n") or 1))
    ]
    completion = {**_envelope(body, "chat.completion"), "choices": choices}
    usage = _usage(body)
    return completion if usage is None else completion | {"usage": usage}


def _envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": kind,
        "created": CREATED,
        "model": body.get("model"),
        "system_fingerprint": FINGERPRINT,
    }


def _deltas(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    call = _tool_call(body)
    if call is not None:
        start = {
            **call,
            "index": 0,
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        rest = {"index": 0, "function": {"arguments": "{}"}}
        return [
            {"role": "assistant", "content": None, "tool_calls": [start]},
            {"tool_calls": [rest]},
        ], "tool_calls"
    pieces, finish = _reply_pieces(body)
    return [{"role": "assistant", "content": "", "refusal": None}] + [
        {"content": piece} for piece in pieces
    ], finish


def _chunk(body: dict[str, Any], choices: list[dict[str, Any]], usage: Any = None) -> str:
    event = {**_envelope(body, "chat.completion.chunk"), "choices": choices}
    if (body.get("stream_options") or {}).get("include_usage"):
        event["usage"] = usage
    return json.dumps(event, separators=(",", ":"))  # ASCII: a lone surrogate as its escape


async def _stream_events(body: dict[str, Any], chunk_delay: float) -> AsyncIterator[str]:
    """Event data, one string each; the model name may break the stream on purpose."""
    model, n = body.get("model"), int(body.get("n") or 1)
    deltas, finish = _deltas(body)
    for position, delta in enumerate(deltas):
        if position == 2 and model == "fail-midstream":
            raise _Midstream("the upstream dropped the connection")
        if position == 2 and model == "fail-midstream-event":
            error = {"message": SECRET_ERROR_TEXT, "type": "server_error"}
            yield json.dumps({"error": error}, separators=(",", ":"))
            return
        if position and model == "slow-stream":
            await asyncio.sleep(chunk_delay)
        for i in range(n):
            yield _chunk(
                body, [{"index": i, "delta": delta, "logprobs": None, "finish_reason": None}]
            )
    for i in range(n):
        yield _chunk(body, [{"index": i, "delta": {}, "logprobs": None, "finish_reason": finish}])
    usage = _usage(body)
    if (body.get("stream_options") or {}).get("include_usage") and usage is not None:
        yield _chunk(body, [], usage)
    yield "[DONE]"


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


# --- embeddings ----------------------------------------------------------------------


def _vector(text: str, dimensions: int) -> list[float]:
    seed = hashlib.sha256(text.encode()).digest()
    raw = [((seed[i % 32] + i * 37) % 256) / 127.5 - 1.0 for i in range(dimensions)]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [x / norm for x in raw]


def _embeddings(body: dict[str, Any], default_dimensions: int) -> dict[str, Any]:
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    dimensions = int(body.get("dimensions") or default_dimensions)
    data = []
    for index, text in enumerate(texts):
        vector = _vector(str(text), dimensions)
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(-(-len(str(text)) // 4) for text in texts)
    if body.get("model") == "usage-negative":
        tokens = -500
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": body.get("model"), "usage": usage}


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
