"""The gateway process of the benchmarks (gateway_overhead.py, metering_overhead.py):
`switchboard.local.server.serve` with every AWS API call counted, and a tiny control port
beside it.

    python benchmarks/_gateway.py --template template.yaml --aws-endpoint http://127.0.0.1:P \
        [--loop auto|asyncio|uvloop] [--http auto|h11|httptools] [--profile]

Prints `BENCH_CONTROL http://127.0.0.1:<port>` once the control port listens, then
`BENCH_SWITCHBOARD <dir>` (the switchboard package it imported: with PYTHONPATH set to an older
revision's layers/core, that revision's), then serve()'s banner (`Switchboard is running at
...`). The control port answers (loopback only):

    GET /calls            {"total": n, "by_operation": {"dynamodb.GetItem": n, ...},
                           "sqs_by_queue": {"sqs.ReceiveMessage BatchLinesQueue": n, ...},
                           "runtime": {"switchboard": "<dir>", "loop": ..., ...}}
    GET /profile/start    start cProfile in the event loop's thread (needs --profile)
    GET /profile/stop?path=FILE   stop it and dump pstats to FILE

The counter wraps botocore's `BaseClient._make_api_call`, through which every call of every
boto3 or botocore client passes whatever session made it (switchboard.bootstrap makes its
clients with botocore's session, an older revision with `boto3.client(...)`; both are
counted, and the platform's start-up calls, counted before the measured phase, show it). The
lean DynamoDB client (adapters/aws/dynamodb_client.py) bypasses botocore's client: its calls
are counted through its observers, attached once the server starts. SQS calls are also
counted by queue (the template's logical id when the queue's name holds one), and
`runtime` says what the platform runs with: its queue consumers (threads per event source),
BATCH_POLL_SECONDS and the batch state machine's ARN, once the server has started.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import sys
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CALLS: Counter[str] = Counter()
SQS_BY_QUEUE: Counter[str] = Counter()
_CALLS_LOCK = threading.Lock()
RUNTIME: dict[str, Any] = {}
_PROFILER: cProfile.Profile | None = None


def install_counter() -> None:
    from botocore.client import BaseClient

    base_call = BaseClient._make_api_call

    def _counted(self: Any, operation_name: str, api_params: Any) -> Any:
        service = self.meta.service_model.service_name
        _count_name(f"{service}.{operation_name}")
        if service == "sqs" and isinstance(api_params, dict) and "QueueUrl" in api_params:
            queue = _queue_name(str(api_params["QueueUrl"]))
            with _CALLS_LOCK:
                SQS_BY_QUEUE[f"sqs.{operation_name} {queue}"] += 1
        return base_call(self, operation_name, api_params)

    BaseClient._make_api_call = _counted  # type: ignore[method-assign]
    RUNTIME["counter"] = "botocore.client.BaseClient._make_api_call"


def count_lean_calls() -> None:
    """Count the calls of the lean DynamoDB client too (it bypasses botocore's hooks): its
    observers, on the container serve() built. A revision without it has nothing to add."""
    try:
        from switchboard.bootstrap import container
    except ImportError:
        return
    client = container().client("dynamodb")
    if hasattr(client, "observers"):
        client.observers.append(lambda operation, params: _count_name(f"dynamodb.{operation}"))
        RUNTIME["lean_dynamodb_client"] = True


def _queue_name(url: str) -> str:
    """A queue URL's name, shortened to the template's logical id when it holds one
    (`...-BatchLinesQueue-AB12` -> BatchLinesQueue)."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    parts = [part for part in name.split("-") if part[:1].isupper() and not part.isupper()]
    return parts[-1] if parts else name


def record_platform() -> None:
    """What the running platform uses for batches: its queue consumers (threads named
    `Function<-Queue#n` by local/workers.py), its poll interval and state machine."""
    consumers: Counter[str] = Counter(
        thread.name.split("#", 1)[0] for thread in threading.enumerate() if "<-" in thread.name
    )
    RUNTIME["consumers"] = dict(consumers)
    try:
        from switchboard.bootstrap import container
    except ImportError:
        return
    settings = container().settings
    for name in ("BATCH_POLL_SECONDS", "BATCH_STATE_MACHINE_ARN"):
        if hasattr(settings, name):
            RUNTIME[name.lower()] = getattr(settings, name)


def _count_name(name: str) -> None:
    with _CALLS_LOCK:
        CALLS[name] += 1


def patch_uvicorn(loop: str, http: str, profile: bool) -> None:
    """serve() builds `uvicorn.Config(...)` without loop/http (uvicorn's defaults, "auto");
    inject explicit choices when asked, and record what uvicorn really ran."""
    import uvicorn

    base_config = uvicorn.Config
    base_startup = uvicorn.Server.startup

    class _Config(base_config):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if loop != "auto":
                kwargs.setdefault("loop", loop)
            if http != "auto":
                kwargs.setdefault("http", http)
            super().__init__(*args, **kwargs)

    async def startup(self: Any, sockets: Any = None) -> None:
        running = asyncio.get_running_loop()
        RUNTIME["loop"] = f"{type(running).__module__}.{type(running).__name__}"
        RUNTIME["http"] = getattr(self.config, "http_protocol_class", None).__name__
        RUNTIME["config_loop"] = self.config.loop
        RUNTIME["config_http"] = self.config.http if isinstance(self.config.http, str) else "?"
        RUNTIME["_loop_obj"] = running
        count_lean_calls()
        await base_startup(self, sockets)
        record_platform()

    uvicorn.Config = _Config  # type: ignore[misc]
    uvicorn.Server.startup = startup  # type: ignore[method-assign]
    RUNTIME["profile_enabled"] = profile


def _in_loop(fn: Any) -> Any:
    loop = RUNTIME.get("_loop_obj")
    if loop is None:
        raise RuntimeError("the server has not started")

    async def call() -> Any:
        return fn()

    return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=10)


class _Control(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        global _PROFILER
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            if url.path == "/calls":
                with _CALLS_LOCK:
                    body: Any = {
                        "total": sum(CALLS.values()),
                        "by_operation": dict(CALLS),
                        "sqs_by_queue": dict(SQS_BY_QUEUE),
                    }
                body["runtime"] = {k: v for k, v in RUNTIME.items() if not k.startswith("_")}
            elif url.path == "/profile/start" and RUNTIME.get("profile_enabled"):
                _PROFILER = cProfile.Profile()
                _in_loop(_PROFILER.enable)
                body = {"profiling": True}
            elif url.path == "/profile/stop" and _PROFILER is not None:
                profiler = _PROFILER
                _in_loop(profiler.disable)
                profiler.dump_stats(query["path"])
                _PROFILER = None
                body = {"profiling": False, "path": query["path"]}
            else:
                self.send_error(404)
                return
        except Exception as exc:  # report, do not kill the control thread
            self.send_error(500, repr(exc))
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start_control() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Control)
    threading.Thread(target=server.serve_forever, name="bench-control", daemon=True).start()
    return int(server.server_address[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--aws-endpoint", default=None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"])
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    parser.add_argument("--profile", action="store_true", help="allow /profile/start|stop")
    args = parser.parse_args(argv)

    install_counter()  # before anything builds a boto3 client
    patch_uvicorn(args.loop, args.http, args.profile)
    port = start_control()
    print(f"BENCH_CONTROL http://127.0.0.1:{port}", flush=True)

    import switchboard
    from switchboard.local.server import serve

    # Which switchboard this process runs: PYTHONPATH may put an older revision's first.
    RUNTIME["switchboard"] = str(Path(switchboard.__file__).resolve().parent)
    print(f"BENCH_SWITCHBOARD {RUNTIME['switchboard']}", flush=True)
    return serve(args.template, host="127.0.0.1", port=args.port, endpoint=args.aws_endpoint)


if __name__ == "__main__":
    sys.exit(main())
