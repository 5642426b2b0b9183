"""The load generator of the gateway benchmarks: closed-loop workers (asyncio + httpx) sending
chat completions, plain or streamed, to a gateway or straight to the upstream, with the CPU use
of every process and the gateway's AWS calls measured around each run.

`benchmark` measures one gateway against the upstream (gateway_overhead.py); `compare` any
number of named targets, e.g. the upstream and two gateways (metering_overhead.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from _common import cpu_seconds, tree_cpu_seconds
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
    platform_cpu: float = 0.0  # the gateway process and its children (an emulator it started)
    upstream_cpu: float = 0.0
    aws_calls: dict[str, int] = field(default_factory=dict)

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.ttfts += other.ttfts
        self.errors += other.errors
        self.wall += other.wall
        self.client_cpu += other.client_cpu
        self.gateway_cpu += other.gateway_cpu
        self.platform_cpu += other.platform_cpu
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


@dataclass(frozen=True)
class Target:
    """Where a run sends its requests: `p`'s gateway (kind "gateway", with `client` sending the
    benchmark key) or `p`'s upstream directly (kind "direct")."""

    p: Processes
    kind: str
    client: httpx.AsyncClient

    @property
    def via_gateway(self) -> bool:
        return self.kind == "gateway"


Targets = dict[str, Target]  # name -> target, measured in this order in every round


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
    target: Target, stream: bool, concurrency: int, requests: int, budget_s: float
) -> Run:
    p = target.p
    assert p.upstream is not None
    assert p.gateway is not None or not target.via_gateway
    url = (p.gateway_url if target.via_gateway else p.upstream_url) + "/chat/completions"
    body = body_for(GATEWAY_MODEL if target.via_gateway else UPSTREAM_MODEL, stream)
    calls_before = control(p, "/calls")["by_operation"] if target.via_gateway else {}
    gw_cpu = cpu_seconds(p.gateway.pid) if p.gateway is not None else 0.0
    tree_cpu = tree_cpu_seconds(p.gateway.pid) if p.gateway is not None else 0.0
    up_cpu, own_cpu = cpu_seconds(p.upstream.pid), time.process_time()
    run = await closed_loop(target.client, url, body, stream, concurrency, requests, budget_s)
    run.client_cpu = time.process_time() - own_cpu
    run.upstream_cpu = cpu_seconds(p.upstream.pid) - up_cpu
    if target.via_gateway and p.gateway is not None:
        run.gateway_cpu = cpu_seconds(p.gateway.pid) - gw_cpu
        run.platform_cpu = tree_cpu_seconds(p.gateway.pid) - tree_cpu
        run.aws_calls = call_delta(calls_before, control(p, "/calls")["by_operation"])
    return run


@asynccontextmanager
async def load_clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two HTTP clients: one for the upstream directly, one sending the benchmark key (every
    benchmark gateway registers the same key, so one client serves them all)."""
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    async with (
        httpx.AsyncClient(limits=limits, timeout=30) as direct,
        httpx.AsyncClient(
            limits=limits, timeout=30, headers={"Authorization": f"Bearer {BENCH_KEY}"}
        ) as gateway,
    ):
        yield direct, gateway


@asynccontextmanager
async def target_clients(
    shared: Processes, gateways: dict[str, Processes]
) -> AsyncIterator[Targets]:
    """The upstream directly and each gateway, each with an HTTP client of its own: httpcore
    examines every connection of its pool on each request, so gateways sharing one client
    slow each other's load down (at c=32, 166 rps through one gateway became 102)."""
    async with contextlib.AsyncExitStack() as stack:
        direct, _ = await stack.enter_async_context(load_clients())
        targets = {"direct": Target(shared, "direct", direct)}
        for name, p in gateways.items():
            _, authorised = await stack.enter_async_context(load_clients())
            targets[name] = Target(p, "gateway", authorised)
        yield targets


async def benchmark(
    p: Processes, plan: dict[int, int], rounds: int, budget_s: float, profile: str | None
) -> Results:
    async with load_clients() as (direct, gateway):
        targets = {"direct": Target(p, "direct", direct), "gateway": Target(p, "gateway", gateway)}
        await warm_up(targets, budget_s)
        if profile:
            control(p, "/profile/start")
        results = await measure_plan(targets, plan, rounds, budget_s)
        if profile:
            control(p, f"/profile/stop?path={profile}")
    return results


async def compare(targets: Targets, plan: dict[int, int], rounds: int, budget_s: float) -> Results:
    """Warm every target up, then measure them all, alternating, at each concurrency."""
    await warm_up(targets, budget_s)
    return await measure_plan(targets, plan, rounds, budget_s)


async def warm_up(targets: Targets, budget_s: float) -> None:
    """Connections, the key cache, the provider's client, both code paths."""
    for stream in (False, True):
        for target in targets.values():
            await measured(target, stream, 8, 32, budget_s)


async def measure_plan(
    targets: Targets, plan: dict[int, int], rounds: int, budget_s: float
) -> Results:
    """Plain, then streamed: one cell per concurrency in `plan` (concurrency -> requests)."""
    results: Results = {}
    for stream in (False, True):
        for concurrency, requests in plan.items():
            cell = await _measure_cell(targets, stream, concurrency, requests, rounds, budget_s)
            results[("stream" if stream else "plain", concurrency)] = cell
    return results


async def _measure_cell(
    targets: Targets,
    stream: bool,
    concurrency: int,
    requests: int,
    rounds: int,
    budget_s: float,
) -> dict[str, Run]:
    """The targets' runs, alternating, `rounds` times; one Run per target."""
    cell = {name: Run() for name in targets}
    per_round = max(concurrency, requests // rounds)
    for _ in range(rounds):
        for name, target in targets.items():
            cell[name].add(await measured(target, stream, concurrency, per_round, budget_s))
    print(
        f"  measured {'stream' if stream else 'plain':6} c={concurrency:<2}: "
        f"{'+'.join(str(run.count) for run in cell.values())} requests "
        f"(load average {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    return cell
