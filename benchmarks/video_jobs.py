"""Video jobs on the local platform: N concurrent jobs of the local model, each submitted,
polled every half second until it completes. Prints the time from submit to completed, the
AWS calls the platform's functions made per job (by service and operation), and the bytes
that passed through API responses, video bytes apart (the target is zero: content is a 302
to a presigned S3 URL).

    .venv/bin/python benchmarks/video_jobs.py            # 20 jobs of 4 s at 480p
    .venv/bin/python benchmarks/video_jobs.py --quick    # 3 jobs of 2 s (the smoke test)

The platform runs in this process as `make serve` builds it (its queue consumers as
threads, the emulator in its own process). Calls are counted where every botocore client
makes them (BaseClient._make_api_call) and through the lean DynamoDB client's observers;
the state machine's own service integrations run inside the emulator and are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import median, percentile, table  # noqa: E402

CALLS: Counter[str] = Counter()
_LOCK = threading.Lock()
POLL_SECONDS = 0.5


def count(name: str) -> None:
    with _LOCK:
        CALLS[name] += 1


def install_counter() -> None:
    from botocore.client import BaseClient

    base_call = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        count(f"{self.meta.service_model.service_name}.{operation}")
        return base_call(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]


class ResponseBytes:
    """The ASGI app, counting the bytes of every response body, and those of video."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.total = 0
        self.video = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = {"type": ""}

        async def counted(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                kind["type"] = headers.get(b"content-type", b"").decode()
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                self.total += len(body)
                if kind["type"].startswith("video/") or body[4:8] == b"ftyp":
                    self.video += len(body)
            await send(message)

        await self.app(scope, receive, counted)


async def one_job(http: Any, duration: int) -> tuple[float, int, str]:
    """Submit, poll until it ends: seconds from submit to completed, polls, status."""
    body = {"model": "local-video", "prompt": "A paper boat drifting on a pond at dawn",
            "duration": duration, "resolution": "480p", "aspect_ratio": "16:9"}  # fmt: skip
    started = time.monotonic()
    answer = await http.post("/v1/videos/completions", json=body)
    assert answer.status_code == 202, answer.text
    url, polls = answer.json()["polling_url"], 0
    while True:
        await asyncio.sleep(POLL_SECONDS)
        job = (await http.get(url)).json()
        polls += 1
        if job["status"] not in ("pending", "in_progress"):
            await http.get(f"{url}/content")  # the redirect, never the bytes
            return time.monotonic() - started, polls, job["status"]


async def run(jobs: int, duration: int) -> tuple[list[tuple[float, int, str]], ResponseBytes]:
    import httpx

    from switchboard.bootstrap import container
    from switchboard.local.platform import Platform

    install_counter()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # no access log in the tables
    platform = Platform.start(ROOT / "template.yaml")
    client = container().client("dynamodb")
    client.observers.append(lambda operation, params: count(f"dynamodb.{operation}"))
    app = ResponseBytes(platform.app)
    try:
        CALLS.clear()
        headers = {"Authorization": f"Bearer {platform.dev_key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, follow_redirects=False
        ) as http:
            results = await asyncio.gather(*(one_job(http, duration) for _ in range(jobs)))
    finally:
        platform.stop()
    return list(results), app


def report(results: list[tuple[float, int, str]], app: ResponseBytes, duration: int) -> None:
    times = [seconds for seconds, _, _ in results]
    statuses = Counter(status for _, _, status in results)
    jobs = len(results)
    print(f"{jobs} concurrent jobs of local-video, {duration} s at 480p 16:9 "
          f"(statuses: {dict(statuses)})")  # fmt: skip
    print(table(
        ["submit to completed", "p50 s", "p90 s", "max s", "polls/job"],
        [["seconds", median(times), percentile(times, 90), max(times),
          sum(p for _, p, _ in results) / jobs]],
    ))  # fmt: skip
    print()
    services: Counter[str] = Counter()
    for name, calls in CALLS.items():
        services[name.split(".", 1)[0]] += calls
    rows = [[service, calls, calls / jobs] for service, calls in services.most_common()]
    rows.append(["all", sum(services.values()), sum(services.values()) / jobs])
    print(table(["AWS calls by service", "calls", "per job"], rows))
    print()
    ops = [[name, calls, calls / jobs] for name, calls in sorted(CALLS.items())]
    print(table(["AWS calls by operation", "calls", "per job"], ops))
    print()
    print(table(["bytes through API responses", "bytes", "per job"], [
        ["all responses", app.total, app.total / jobs],
        ["video bytes (target 0)", app.video, app.video / jobs],
    ]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="3 jobs of 2 s (a smoke run)")
    args = parser.parse_args()
    jobs, duration = (3, 2) if args.quick else (args.jobs, args.duration)
    results, app = asyncio.run(run(jobs, duration))
    report(results, app, duration)
    if app.video:
        raise SystemExit("video bytes passed through an API response")


if __name__ == "__main__":
    main()
