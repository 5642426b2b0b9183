"""The emulator's own process: moto's services behind uvicorn on loopback, started by
local/emulator.py (`switchboard serve`, the tests) and stopped with it.

    python -m switchboard.local.emulator_server [--host 127.0.0.1] [--port 0]

It prints one line, `EMULATOR_READY http://HOST:PORT`, once it listens, and runs until its
standard input closes (its parent stopped, or died: no orphan is left behind) or it gets
SIGTERM. Ctrl-C in a terminal reaches every process of the foreground group: this one
ignores it, so the platform can still settle the requests it is finishing; the platform
stops it afterwards.

Why a process of its own, and not moto's threaded werkzeug server inside the platform:
moto's DynamoDB took 4 to 8 ms of CPU per request, under the platform's GIL, and the
werkzeug server a thread per connection. Here DynamoDB's everyday requests take the fast
path (local/dynamodb_fast_path.py) on the event loop, under moto_dynamodb's lock; every
other request (other services, other DynamoDB shapes, `/moto-api`) runs moto's own WSGI
application in a worker thread, as before. `GET /_switchboard/emulator` tells how many
DynamoDB requests took which path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import io
import json
import os
import signal
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn

from switchboard.local import moto_dynamodb, moto_s3vectors, moto_sqs
from switchboard.local.emulator import READY

STATS_PATH = "/_switchboard/emulator"
_DYNAMODB_TARGET = "DynamoDB_20120810."
_JSON_HEADERS = [(b"content-type", b"application/x-amz-json-1.0")]
Send = Callable[[dict[str, Any]], Any]


class EmulatorApp:
    """ASGI: DynamoDB's fast path on the loop, moto's WSGI application in threads."""

    def __init__(self, wsgi_app: Any, threads: int = 64) -> None:
        from switchboard.local import dynamodb_fast_path

        self._wsgi = wsgi_app
        self._fast = dynamodb_fast_path
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="moto")
        self._requests = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        target = headers.get("x-amz-target", "")
        if target.startswith(_DYNAMODB_TARGET) and scope["method"] == "POST":
            answered = await self._dynamodb(target[len(_DYNAMODB_TARGET) :], body, headers)
            if answered is not None:
                await _send(send, 200, self._json_headers(answered), answered)
                return
        elif scope["path"] == STATS_PATH:
            data = json.dumps({"dynamodb": dict(self._fast.STATS)}).encode()
            await _send(send, 200, [(b"content-type", b"application/json")], data)
            return
        loop = asyncio.get_running_loop()
        gone = threading.Event()  # the client hung up (a waiting SQS receive then ends)
        watching = asyncio.ensure_future(_until_disconnected(receive, gone))
        try:
            status, response_headers, data = await loop.run_in_executor(
                self._pool, self._call_wsgi, wsgi_environ(scope, body), gone
            )
        finally:
            watching.cancel()
        await _send(send, status, response_headers, data)

    async def _dynamodb(self, operation: str, body: bytes, headers: dict[str, str]) -> bytes | None:
        """The fast path's answer (on the loop if the lock is free, else in a thread)."""
        request = _dynamodb_request(body, headers)
        if request is None:
            return None
        if moto_dynamodb.LOCK.acquire(blocking=False):
            try:
                return self._answer(operation, *request)
            finally:
                moto_dynamodb.LOCK.release()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._answer_locked, operation, *request)

    def _answer_locked(self, operation: str, *request: Any) -> bytes | None:
        with moto_dynamodb.LOCK:
            return self._answer(operation, *request)

    def _answer(
        self, operation: str, body: dict[str, Any], account: str, region: str
    ) -> bytes | None:
        response = self._fast.answer(operation, body, account, region)
        return None if response is None else json.dumps(response, separators=(",", ":")).encode()

    def _json_headers(self, data: bytes) -> list[tuple[bytes, bytes]]:
        self._requests += 1
        return [
            *_JSON_HEADERS,
            (b"x-amzn-requestid", f"switchboard-{self._requests}".encode()),
            (b"x-amz-crc32", str(zlib.crc32(data)).encode()),
        ]

    def _call_wsgi(
        self, environ: dict[str, Any], gone: threading.Event
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            started[:] = [status, headers]

        with moto_sqs.serving(gone):
            result = self._wsgi(environ, start_response)
            try:
                data = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        status, headers = started
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        if not any(k == b"content-length" for k, _ in encoded):
            encoded.append((b"content-length", str(len(data)).encode()))
        return int(status.split(" ", 1)[0]), encoded, data


def _dynamodb_request(
    body: bytes, headers: dict[str, str]
) -> tuple[dict[str, Any], str, str] | None:
    """The request's JSON, account and region, as moto would find them; None if unusual."""
    from moto.iam.models import get_account_id_from

    try:
        credential = headers["authorization"].split("Credential=", 1)[1].split(",", 1)[0]
        access_key, _, region, service, _ = credential.split("/")
        request = json.loads(body)
    except (KeyError, IndexError, ValueError):
        return None
    if service != "dynamodb" or not isinstance(request, dict):
        return None
    account = (
        os.environ.get("MOTO_ACCOUNT_ID")
        or headers.get("x-moto-account-id")
        or get_account_id_from(access_key)
    )
    return request, account, region


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], data: bytes) -> None:
    if not any(k == b"content-length" for k, _ in headers):
        headers = [*headers, (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _until_disconnected(receive: Any, gone: threading.Event) -> None:
    """Set `gone` when the client hangs up before its answer (its body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


def wsgi_environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """A WSGI environ for moto's application, as werkzeug's server would build it."""
    server_host, server_port = scope.get("server") or ("127.0.0.1", 0)
    client = scope.get("client") or ("127.0.0.1", 0)
    query = scope.get("query_string", b"").decode("latin-1")
    raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": raw_path + (f"?{query}" if query else ""),
        "REQUEST_URI": raw_path + (f"?{query}" if query else ""),
        "SERVER_NAME": str(server_host),
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name.lower() == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name.lower() not in ("content-length", "transfer-encoding"):
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class _Server(uvicorn.Server):
    """Ignores Ctrl-C (the platform stops this process once it has finished); SIGTERM or
    the end of standard input stops it, ending the SQS long polls still waiting first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        yield

    def stop(self) -> None:
        moto_sqs.stop_waiting()
        self.should_exit = True


def _keep_the_tables_out_of_gc(period_s: float = 1.0) -> None:
    """Every second, the objects that survived a young collection (mostly the tables'
    items: about 18 per ledger item) are frozen out of the cyclic garbage collector. Else
    each full collection walks every item of every table: 170 ms at 40,000 ledger items,
    a pause that grows with the table. Items hold no reference cycles, so reference
    counting still frees those deleted or replaced later."""

    # A young collection every 50,000 allocations, not 700: a transaction allocates
    # thousands of short-lived objects (moto's attribute values), which reference counting
    # frees before a collection sees them; at 700 the collector took about 200 us of a 7-item
    # TransactWriteItems' 450 (benchmarks/emulator_fast_path.py). What survives is frozen.
    gc.set_threshold(50_000, 10, 10)

    def freeze() -> None:
        while True:
            time.sleep(period_s)
            gc.collect(1)
            gc.freeze()

    threading.Thread(target=freeze, name="gc-freeze", daemon=True).start()


def _route_once() -> None:
    """For every request it routes, moto lists its package directory (about 200 stat calls,
    holding its dispatcher's one lock) and inspects the handling class for its methods: a
    tenth of the emulator's CPU under a batch. Neither can change while it runs, so each is
    done once (after the patches above)."""
    from moto import backends
    from moto.core import responses, utils

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.cache(utils.method_names_from_class)  # type: ignore[attr-defined]


def _stop_when_parent_goes(server: _Server) -> None:
    def watch() -> None:
        with contextlib.suppress(OSError):
            sys.stdin.buffer.read()
        server.stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_dynamodb.install()
    moto_sqs.install()
    moto_s3vectors.install()
    _route_once()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(1024)
    host, port = sock.getsockname()[:2]
    os.environ["MOTO_PORT"] = str(port)  # Step Functions tasks call back here (FACTS.md)
    app = EmulatorApp(DomainDispatcherApplication(create_backend_app))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    server = _Server(config)
    _stop_when_parent_goes(server)
    _keep_the_tables_out_of_gc()
    print(f"{READY} http://{host}:{port}", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # moto's prints go where errors go
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
