"""The load generator of benchmarks/gateway_overhead.py: closed-loop workers (asyncio + httpx)
sending chat completions, plain or streamed, to the gateway or straight to the upstream, with
the CPU use of every process and the gateway's AWS calls measured around each run."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from _common import cpu_seconds
from _gateway_processes import (
    BENCH_KEY,
    GATEWAY_MODEL,
    UPSTREAM_MODEL,
    Processes,
    call_delta,
    control,
)

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello to the benchmark."},
]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, whole response
    ttfts: list[float] = field(default_factory=list)  # seconds, first content (stream) / body
    errors: int = 0
    wall: float = 0.0
    client_cpu: float = 0.0
    gateway_cpu: float = 0.0
    upstream_cpu: float = 0.0
    aws_calls: dict[str, int] = field(default_factory=dict)

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.ttfts += other.ttfts
        self.errors += other.errors
        self.wall += other.wall
        self.client_cpu += other.client_cpu
        self.gateway_cpu += other.gateway_cpu
        self.upstream_cpu += other.upstream_cpu
        for k, v in other.aws_calls.items():
            self.aws_calls[k] = self.aws_calls.get(k, 0) + v

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall else float("nan")


Results = dict[tuple[str, int], dict[str, Run]]  # (mode, concurrency) -> target -> Run


def body_for(model: str, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": MESSAGES, "max_tokens": 64}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


async def one_request(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], stream: bool, run: Run
) -> None:
    start = time.perf_counter()
    ttft = None
    try:
        async with client.stream("POST", url, json=body) as response:
            if response.status_code != 200:
                await response.aread()
            elif stream:
                ttft = await _stream_ttft(response, start)
            else:
                ttft = await _plain_ttft(response, start)
    except httpx.HTTPError:
        ttft = None
    if ttft is None:
        run.errors += 1
        return
    run.latencies.append(time.perf_counter() - start)
    run.ttfts.append(ttft)


async def _stream_ttft(response: httpx.Response, start: float) -> float | None:
    """Read the whole event stream; the time to its first content chunk, if any."""
    ttft = None
    async for line in response.aiter_lines():
        if ttft is None and line.startswith("data: {"):
            event = json.loads(line[6:])
            choices = event.get("choices") or []
            if choices and (choices[0].get("delta") or {}).get("content"):
                ttft = time.perf_counter() - start
    return ttft


async def _plain_ttft(response: httpx.Response, start: float) -> float | None:
    """Read the whole body; the time to its first byte, or None if it has no choices."""
    ttft = None
    chunks = []
    async for chunk in response.aiter_bytes():
        if ttft is None:
            ttft = time.perf_counter() - start
        chunks.append(chunk)
    data = json.loads(b"".join(chunks))
    return ttft if data.get("choices") else None


async def closed_loop(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    stream: bool,
    concurrency: int,
    requests: int,
    budget_s: float,
) -> Run:
    run = Run()
    remaining = [requests]

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            await one_request(client, url, body, stream, run)

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), budget_s)
    run.wall = time.perf_counter() - start
    return run


async def measured(
    p: Processes,
    client: httpx.AsyncClient,
    target: str,
    stream: bool,
    concurrency: int,
    requests: int,
    budget_s: float,
) -> Run:
    assert p.gateway is not None and p.upstream is not None
    url = (p.gateway_url if target == "gateway" else p.upstream_url) + "/chat/completions"
    body = body_for(GATEWAY_MODEL if target == "gateway" else UPSTREAM_MODEL, stream)
    calls_before = control(p, "/calls")["by_operation"] if target == "gateway" else {}
    gw_cpu, up_cpu, own_cpu = (
        cpu_seconds(p.gateway.pid),
        cpu_seconds(p.upstream.pid),
        time.process_time(),
    )
    run = await closed_loop(client, url, body, stream, concurrency, requests, budget_s)
    run.client_cpu = time.process_time() - own_cpu
    run.upstream_cpu = cpu_seconds(p.upstream.pid) - up_cpu
    if target == "gateway":
        run.gateway_cpu = cpu_seconds(p.gateway.pid) - gw_cpu
        run.aws_calls = call_delta(calls_before, control(p, "/calls")["by_operation"])
    return run


async def benchmark(
    p: Processes, plan: dict[int, int], rounds: int, budget_s: float, profile: str | None
) -> Results:
    results: Results = {}
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    async with (
        httpx.AsyncClient(limits=limits, timeout=30) as direct,
        httpx.AsyncClient(
            limits=limits, timeout=30, headers={"Authorization": f"Bearer {BENCH_KEY}"}
        ) as gateway,
    ):
        clients = {"direct": direct, "gateway": gateway}
        await _warm_up(p, clients, budget_s)
        if profile:
            control(p, "/profile/start")
        for stream in (False, True):
            for concurrency, requests in plan.items():
                cell = await _measure_cell(
                    p, clients, stream, concurrency, requests, rounds, budget_s
                )
                results[("stream" if stream else "plain", concurrency)] = cell
        if profile:
            control(p, f"/profile/stop?path={profile}")
    return results


async def _warm_up(p: Processes, clients: dict[str, httpx.AsyncClient], budget_s: float) -> None:
    """Connections, the key cache, the provider's client, both code paths."""
    for stream in (False, True):
        for target, client in clients.items():
            await measured(p, client, target, stream, 8, 32, budget_s)


async def _measure_cell(
    p: Processes,
    clients: dict[str, httpx.AsyncClient],
    stream: bool,
    concurrency: int,
    requests: int,
    rounds: int,
    budget_s: float,
) -> dict[str, Run]:
    """Direct and gateway runs, alternating, `rounds` times; one Run per target."""
    cell = {"direct": Run(), "gateway": Run()}
    per_round = max(concurrency, requests // rounds)
    for _ in range(rounds):
        for target, client in clients.items():
            cell[target].add(
                await measured(p, client, target, stream, concurrency, per_round, budget_s)
            )
    print(
        f"  measured {'stream' if stream else 'plain':6} c={concurrency:<2}: "
        f"{cell['direct'].count}+{cell['gateway'].count} requests",
        flush=True,
    )
    return cell
