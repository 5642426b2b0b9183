"""A loopback bedrock-runtime that real boto3 talks to over HTTP.

Point boto3 at it with AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<base url>. It speaks the
rest-json protocol of botocore's service model: POST /model/{modelId}/converse,
/converse-stream (binary application/vnd.amazon.eventstream frames) and /invoke (Titan
text embeddings); POST /async-invoke and GET /async-invoke/{invocationArn} (Nova Reel's
asynchronous invocations, in fake_bedrock_async.py: `fake.async_invokes`). Every request is
recorded with its parsed JSON body.

The answers are Bedrock's recorded shapes (below, as data): the Converse and
ConverseStream examples of the Bedrock API reference, including the "p" padding field
Bedrock adds to stream events, and the Titan Text Embeddings V2 response. The model id
picks the answer:

    fake.text             a text answer (the default for any other model id)
    fake.tool-use         a text block, then a toolUse block
    fake.max-tokens       a text answer cut short (stopReason max_tokens)
    fake.throttled        429 ThrottlingException (StartAsyncInvoke too)
    fake.invalid          400 ValidationException (StartAsyncInvoke too)
    fake.stream-error     a stream that breaks with a modelStreamErrorException event
    fake.gated            a stream that pauses after its first text delta until
                          `release()` is called
    fake.empty            an invoke answered `{}` (what moto's bedrock-runtime answers)
    fake.silent           a Converse that answers nothing until `release()` is called
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.support.fake_bedrock_async import AsyncInvokes

# --- Recorded shapes -------------------------------------------------------------------

CONVERSE_TEXT: dict[str, Any] = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [{"text": "Hello! How can I help you today?"}],
        }
    },
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21},
    "metrics": {"latencyMs": 412},
}

CONVERSE_TOOL_USE: dict[str, Any] = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "I'll look up the weather for you."},
                {
                    "toolUse": {
                        "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                        "name": "get_weather",
                        "input": {"city": "Paris", "unit": "celsius"},
                    }
                },
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 385, "outputTokens": 61, "totalTokens": 446},
    "metrics": {"latencyMs": 1208},
}

CONVERSE_MAX_TOKENS: dict[str, Any] = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Once upon a"}]}},
    "stopReason": "max_tokens",
    "usage": {"inputTokens": 10, "outputTokens": 3, "totalTokens": 13},
    "metrics": {"latencyMs": 230},
}

# ConverseStream events as (event type, payload). Bedrock pads payloads with "p".
STREAM_TEXT: list[tuple[str, dict[str, Any]]] = [
    ("messageStart", {"p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "role": "assistant"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcdef"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "! How can I"}, "p": "ab"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " help?"}, "p": "abcd"}),
    ("contentBlockStop", {"contentBlockIndex": 0, "p": "abcdefghijklmnopqrstuvwxyzABCDEF"}),
    ("messageStop", {"p": "abcdefghijklmnopqrstuvwxyzABCDEFGH", "stopReason": "end_turn"}),
    (
        "metadata",
        {
            "metrics": {"latencyMs": 318},
            "p": "abcdefghijklmnopqrstuvwxyzABCDEF",
            "usage": {"inputTokens": 12, "outputTokens": 6, "totalTokens": 18},
        },
    ),
]

STREAM_TOOL_USE: list[tuple[str, dict[str, Any]]] = [
    ("messageStart", {"p": "abcdefghijklmn", "role": "assistant"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Checking."}, "p": "ab"}),
    ("contentBlockStop", {"contentBlockIndex": 0, "p": "abcdefghijklmnopqr"}),
    (
        "contentBlockStart",
        {
            "contentBlockIndex": 1,
            "p": "abcdefghijklmnopqrstu",
            "start": {
                "toolUse": {"name": "get_weather", "toolUseId": "tooluse_5lfKsnJJQgGQ2ZP9uvZ0kQ"}
            },
        },
    ),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": ""}}, "p": "a"}),
    (
        "contentBlockDelta",
        {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"city": "Pa'}}, "p": "abc"},
    ),
    (
        "contentBlockDelta",
        {"contentBlockIndex": 1, "delta": {"toolUse": {"input": 'ris"}'}}, "p": "abcdefg"},
    ),
    ("contentBlockStop", {"contentBlockIndex": 1, "p": "abcdefghijklmnopqrstuvwxyzAB"}),
    (
        "messageStop",
        {"p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS", "stopReason": "tool_use"},
    ),
    (
        "metadata",
        {
            "metrics": {"latencyMs": 1024},
            "p": "abcdefghijklmnopqrstuvwxyz",
            "usage": {"inputTokens": 402, "outputTokens": 54, "totalTokens": 456},
        },
    ),
]

STREAM_ERROR: tuple[str, dict[str, Any]] = (
    "modelStreamErrorException",
    {
        "message": "Model stream error: the model produced an error while streaming",
        "originalStatusCode": 500,
        "originalMessage": "internal model failure",
    },
)

# InvokeModel with amazon.titan-embed-text-v2:0: the body, vector shortened by the fake
# to the requested dimensions (1024 by default).
TITAN_TOKEN_COUNT_PER_WORD = 1

ERRORS: dict[str, tuple[int, str, str]] = {
    "fake.throttled": (
        429,
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
    ),
    "fake.invalid": (
        400,
        "ValidationException",
        "The model returned the following errors: secret upstream detail",
    ),
}
_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"

# --- AWS event stream encoding ----------------------------------------------------------

_STRING_HEADER = 7


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total length, headers length, prelude CRC32),
    string headers, payload, and the CRC32 of everything before it."""
    encoded = b"".join(
        struct.pack(">B", len(name))
        + name.encode()
        + struct.pack(">BH", _STRING_HEADER, len(v))
        + v.encode()
        for name, v in headers.items()
    )
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event_frame(event_type: str, payload: dict[str, Any]) -> bytes:
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, json.dumps(payload).encode())


def exception_frame(exception_type: str, payload: dict[str, Any]) -> bytes:
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps(payload).encode())


# --- The server -------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    operation: str  # converse, converse-stream, invoke, async-invoke or get-async-invoke
    model_id: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeBedrock:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.gate = threading.Event()
        self.async_invokes = AsyncInvokes()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def release(self) -> None:
        """Let fake.gated streams and fake.silent answers go on."""
        self.gate.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@contextmanager
def fake_bedrock() -> Iterator[FakeBedrock]:
    server = FakeBedrock()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _handler(fake: FakeBedrock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            if self.path == "/async-invoke":
                self._start_async_invoke()
                return
            parts = self.path.split("/")
            if len(parts) != 4 or parts[1] != "model":
                self._json(404, {"message": "not found"}, "UnknownOperationException")
                return
            model_id, operation = unquote(parts[2]), parts[3]
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.loads(raw) if raw else {}
            fake.requests.append(RecordedRequest(operation, model_id, body, dict(self.headers)))
            if model_id in ERRORS:
                status, code, message = ERRORS[model_id]
                self._json(status, {"message": message}, code)
            elif operation == "converse":
                if model_id == "fake.silent":
                    fake.gate.wait(30)
                self._json(200, _converse_answer(model_id))
            elif operation == "converse-stream":
                self._stream(model_id)
            elif operation == "invoke":
                self._json(200, {} if model_id == "fake.empty" else _titan_answer(body))
            else:
                self._json(404, {"message": "not found"}, "UnknownOperationException")

        def do_GET(self) -> None:
            prefix = "/async-invoke/"
            if not self.path.startswith(prefix):
                self._json(404, {"message": "not found"}, "UnknownOperationException")
                return
            arn = unquote(self.path[len(prefix) :])
            fake.requests.append(RecordedRequest("get-async-invoke", "", {"invocationArn": arn}))
            self._json(*fake.async_invokes.get(arn))

        def _start_async_invoke(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.loads(raw) if raw else {}
            model_id = str(body.get("modelId", ""))
            fake.requests.append(
                RecordedRequest("async-invoke", model_id, body, dict(self.headers))
            )
            if model_id in ERRORS:
                status, code, message = ERRORS[model_id]
                self._json(status, {"message": message}, code)
            else:
                self._json(*fake.async_invokes.start(body))

        def _json(self, status: int, payload: dict[str, Any], error: str = "") -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "4f6d1f5e-7d1b-4a4e-9a55-6a0c1e6e0b2d")
            if error:
                self.send_header("x-amzn-ErrorType", f"{error}:{_ERROR_NAMESPACE}")
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, model_id: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.amazon.eventstream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("x-amzn-RequestId", "0c3d2b55-53e6-4a41-a4d5-4c2f6b5a1f0e")
            self.end_headers()
            try:
                for index, frame in enumerate(_stream_frames(model_id)):
                    if model_id == "fake.gated" and index == 2:
                        fake.gate.wait(timeout=30)
                    self._chunk(frame)
                self._chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away, as an abandoned stream does

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


def _converse_answer(model_id: str) -> dict[str, Any]:
    if model_id == "fake.tool-use":
        return CONVERSE_TOOL_USE
    if model_id == "fake.max-tokens":
        return CONVERSE_MAX_TOKENS
    return CONVERSE_TEXT


def _stream_frames(model_id: str) -> list[bytes]:
    if model_id == "fake.tool-use":
        return [event_frame(kind, payload) for kind, payload in STREAM_TOOL_USE]
    frames = [event_frame(kind, payload) for kind, payload in STREAM_TEXT]
    if model_id == "fake.stream-error":
        return [*frames[:2], exception_frame(*STREAM_ERROR)]
    return frames


def _titan_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Titan V2's answer: a deterministic vector of the requested size, and the token
    count Titan reports (here one token per word)."""
    text = str(body.get("inputText", ""))
    size = int(body.get("dimensions", 1024))
    seed = zlib.crc32(text.encode())
    vector = [((seed >> (i % 24)) % 1000) / 1000 for i in range(size)]
    tokens = len(text.split()) * TITAN_TOKEN_COUNT_PER_WORD
    return {
        "embedding": vector,
        "embeddingsByType": {"float": vector},
        "inputTextTokenCount": tokens,
    }
