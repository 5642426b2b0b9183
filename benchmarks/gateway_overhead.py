"""Gateway overhead: chat completions (plain and streamed) through the local platform to an
OpenAI-compatible upstream on loopback (fixed 50 ms latency), against the same upstream
called directly, in the same run, at concurrency 1, 8 and 32. Prints figures; asserts none.

    .venv/bin/python benchmarks/gateway_overhead.py            # full run (~2 minutes)
    .venv/bin/python benchmarks/gateway_overhead.py --quick    # smoke run (~20 s)
    .venv/bin/python benchmarks/gateway_overhead.py --profile /tmp/gw.pstats   # + cProfile

Processes: the emulated AWS (moto_server), the fake upstream, the gateway
(benchmarks/_gateway.py: switchboard.local.server.serve with AWS calls counted) and this
load generator (asyncio + httpx, one process; its own CPU use is printed so that a
saturated client shows). Closed loop: `c` workers send a fixed number of requests.
Direct and gateway runs alternate, in two rounds each, so drift hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    cpu_seconds,
    free_port,
    median,
    percentile,
    status_kib,
    table,
    verdict,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BENCH_KEY = "sb_bench_dev_key_0123456789abcdefghijklmnopqrstuvwxyz"
UPSTREAM_KEY_ENV = "SWITCHBOARD_BENCH_UPSTREAM_KEY"
GATEWAY_MODEL = "bench-chat"
UPSTREAM_MODEL = "fake-upstream-chat"
LATENCY_MS = 50
MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello to the benchmark."},
]

# The reference to beat: the best-known open-source gateway, measured this way here.
REF_ADDED_P50_C1_MS = 12.0
REF_RPS_C32 = 193.0
REF_UPSTREAM_RPS_C32 = 589.0
REF_ADDED_TTFT_MS = 34.0
REF_RSS_MB = 1024.0
TARGET_ADDED_P50_C1_MS = REF_ADDED_P50_C1_MS / 2
TARGET_RPS_C32 = REF_RPS_C32 * 2
TARGET_DYNAMO_PER_REQUEST = 1.0

CATALOG_EXTRA = """
[providers.bench]
kind = "openai_compatible"
base_url = "{base_url}"
api_key = "{key_env}"

[[models]]
id = "{model}"
name = "Benchmark upstream chat"
type = "chat"
provider = "bench"
upstream_model = "{upstream_model}"
input_price_per_mtok = "1.00"
output_price_per_mtok = "2.00"
context_window = 16000
max_output_tokens = 2000
"""


# --- processes ---------------------------------------------------------------------------


@dataclass
class Processes:
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    tmp: tempfile.TemporaryDirectory[str] = field(default_factory=tempfile.TemporaryDirectory)
    gateway: subprocess.Popen[str] | None = None
    upstream: subprocess.Popen[str] | None = None
    gateway_url: str = ""
    control_url: str = ""
    upstream_url: str = ""
    gateway_output: list[str] = field(default_factory=list)

    def spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.tmp.cleanup()


def start_processes(args: argparse.Namespace) -> Processes:
    p = Processes()
    moto_port, upstream_port = free_port(), free_port()
    p.spawn([str(Path(PY).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)])
    p.upstream = p.spawn(
        [
            PY,
            "tests/support/fake_upstream.py",
            "--port",
            str(upstream_port),
            "--latency-ms",
            str(LATENCY_MS),
        ]
    )
    wait_for_port(moto_port)
    wait_for_port(upstream_port)
    p.upstream_url = f"http://127.0.0.1:{upstream_port}/v1"

    from switchboard.domain.catalog import DEFAULT_CATALOG

    catalog = Path(p.tmp.name) / "models.toml"
    catalog.write_text(
        DEFAULT_CATALOG.read_text(encoding="utf-8")
        + CATALOG_EXTRA.format(
            base_url=p.upstream_url,
            key_env=UPSTREAM_KEY_ENV,
            model=GATEWAY_MODEL,
            upstream_model=UPSTREAM_MODEL,
        ),
        encoding="utf-8",
    )
    env = dict(os.environ)
    env.update(
        {
            "MODEL_CATALOG": str(catalog),
            UPSTREAM_KEY_ENV: "bench-upstream-key",
            "SWITCHBOARD_DEV_API_KEY": BENCH_KEY,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    gw_args = [
        PY,
        "benchmarks/_gateway.py",
        "--aws-endpoint",
        f"http://127.0.0.1:{moto_port}",
        "--loop",
        args.loop,
        "--http",
        args.http,
    ]
    if args.profile:
        gw_args.append("--profile")
    p.gateway = p.spawn(gw_args, env)
    found: dict[str, str] = {}
    ready = threading.Event()

    def drain() -> None:
        assert p.gateway is not None and p.gateway.stdout is not None
        for line in p.gateway.stdout:
            if len(p.gateway_output) < 500:
                p.gateway_output.append(line)
            if line.startswith("BENCH_CONTROL "):
                found["control"] = line.split()[1]
            elif line.startswith("Switchboard is running at "):
                found["gateway"] = line.split()[-1]
            if "gateway" in found and "control" in found:
                ready.set()
        ready.set()

    threading.Thread(target=drain, name="gateway-output", daemon=True).start()
    if not ready.wait(90) or "gateway" not in found:
        p.stop()
        raise RuntimeError("the gateway did not start:\n" + "".join(p.gateway_output))
    p.gateway_url = found["gateway"] + "/v1"
    p.control_url = found["control"]
    return p


def control(p: Processes, path: str) -> dict[str, Any]:
    return httpx.get(p.control_url + path, timeout=15).json()  # type: ignore[no-any-return]


# --- load ----------------------------------------------------------------------------------


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
                run.errors += 1
                return
            if stream:
                async for line in response.aiter_lines():
                    if ttft is None and line.startswith("data: {"):
                        event = json.loads(line[6:])
                        choices = event.get("choices") or []
                        if choices and (choices[0].get("delta") or {}).get("content"):
                            ttft = time.perf_counter() - start
            else:
                chunks = []
                async for chunk in response.aiter_bytes():
                    if ttft is None:
                        ttft = time.perf_counter() - start
                    chunks.append(chunk)
                data = json.loads(b"".join(chunks))
                if not data.get("choices"):
                    run.errors += 1
                    return
    except httpx.HTTPError:
        run.errors += 1
        return
    if ttft is None:
        run.errors += 1
        return
    run.latencies.append(time.perf_counter() - start)
    run.ttfts.append(ttft)


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
        after = control(p, "/calls")["by_operation"]
        run.aws_calls = {
            k: v - calls_before.get(k, 0) for k, v in after.items() if v - calls_before.get(k, 0)
        }
    return run


async def benchmark(
    p: Processes, plan: dict[int, int], rounds: int, budget_s: float, profile: str | None
) -> dict[tuple[str, int], dict[str, Run]]:
    results: dict[tuple[str, int], dict[str, Run]] = {}
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    async with (
        httpx.AsyncClient(limits=limits, timeout=30) as direct,
        httpx.AsyncClient(
            limits=limits, timeout=30, headers={"Authorization": f"Bearer {BENCH_KEY}"}
        ) as gateway,
    ):
        clients = {"direct": direct, "gateway": gateway}
        # Warm up: connections, the key cache, the provider's client, both code paths.
        for stream in (False, True):
            for target, client in clients.items():
                await measured(p, client, target, stream, 8, 32, budget_s)
        if profile:
            control(p, "/profile/start")
        for stream in (False, True):
            mode = "stream" if stream else "plain"
            for concurrency, requests in plan.items():
                cell = {"direct": Run(), "gateway": Run()}
                per_round = max(concurrency, requests // rounds)
                for _ in range(rounds):
                    for target, client in clients.items():
                        cell[target].add(
                            await measured(
                                p, client, target, stream, concurrency, per_round, budget_s
                            )
                        )
                results[(mode, concurrency)] = cell
                print(
                    f"  measured {mode:6} c={concurrency:<2}: "
                    f"{cell['direct'].count}+{cell['gateway'].count} requests",
                    flush=True,
                )
        if profile:
            control(p, f"/profile/stop?path={profile}")
    return results


# --- report --------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000


def report(
    results: dict[tuple[str, int], dict[str, Run]],
    p: Processes,
    runtime: dict[str, Any],
    total_calls: dict[str, int],
    cores: int,
) -> None:
    rows = []
    for (mode, c), cell in results.items():
        d, g = cell["direct"], cell["gateway"]
        rows.append(
            [
                mode,
                c,
                ms(median(d.latencies)),
                ms(percentile(d.latencies, 99)),
                ms(median(g.latencies)),
                ms(percentile(g.latencies, 99)),
                ms(median(g.latencies) - median(d.latencies)),
                ms(percentile(g.latencies, 99) - percentile(d.latencies, 99)),
                ms(median(d.ttfts)),
                ms(median(g.ttfts)),
                ms(median(g.ttfts) - median(d.ttfts)),
                d.rps,
                g.rps,
                ms(g.gateway_cpu / g.count) if g.count else float("nan"),
                f"{sum(g.aws_calls.values()) / g.count:.3f}" if g.count else "-",
                d.errors + g.errors,
            ]
        )
    print()
    print(
        "Latency in ms (whole response), TTFT = time to first content chunk (stream) or first "
        "body byte (plain); added = gateway - direct."
    )
    print(
        table(
            [
                "mode",
                "c",
                "direct p50",
                "direct p99",
                "gw p50",
                "gw p99",
                "added p50",
                "added p99",
                "TTFT direct",
                "TTFT gw",
                "added TTFT",
                "rps direct",
                "rps gw",
                "gw CPU ms/req",
                "AWS calls/req",
                "errors",
            ],
            rows,
        )
    )

    print()
    print(
        "Load generator and upstream CPU use (share of one core during the runs; "
        f"{cores} cores in all):"
    )
    rows = []
    for (mode, c), cell in results.items():
        d, g = cell["direct"], cell["gateway"]
        rows.append(
            [
                mode,
                c,
                f"{d.client_cpu / d.wall:.0%}",
                f"{g.client_cpu / g.wall:.0%}",
                f"{d.upstream_cpu / d.wall:.0%}",
                f"{g.upstream_cpu / g.wall:.0%}",
                f"{g.gateway_cpu / g.wall:.0%}",
            ]
        )
    print(
        table(
            [
                "mode",
                "c",
                "client (direct)",
                "client (gw)",
                "upstream (direct)",
                "upstream (gw)",
                "gateway",
            ],
            rows,
        )
    )

    assert p.gateway is not None
    hwm_mb = status_kib(p.gateway.pid, "VmHWM") / 1024
    rss_mb = status_kib(p.gateway.pid, "VmRSS") / 1024
    print()
    print(
        f"Gateway process: peak RSS (VmHWM) {hwm_mb:.0f} MB, RSS now {rss_mb:.0f} MB "
        f"(the emulated AWS runs in its own process and is not counted); "
        f"event loop {runtime.get('loop')}, HTTP protocol {runtime.get('http')} "
        f"(uvicorn loop={runtime.get('config_loop')!r}, http={runtime.get('config_http')!r}); "
        f"boto3 clients from the hooked default session: "
        f"{runtime.get('clients_from_default_session')}."
    )
    dynamo = sum(v for k, v in total_calls.items() if k.startswith("dynamodb."))
    n_gw = sum(cell["gateway"].count for cell in results.values())
    print(
        f"AWS calls during the measured phase: {total_calls or 'none'} over {n_gw} "
        f"gateway requests ({dynamo / n_gw if n_gw else float('nan'):.4f} DynamoDB calls "
        "per request; a cached key is looked up again every KEY_CACHE_SECONDS)."
    )

    print()
    print(
        "Against the reference (the best-known open-source gateway, measured this way on this "
        "machine):"
    )
    plain1 = results.get(("plain", 1))
    added_c1 = (
        (median(plain1["gateway"].latencies) - median(plain1["direct"].latencies))
        if plain1
        else float("nan")
    )
    lines = [
        (
            "added latency p50, plain, c=1",
            f"{ms(added_c1):.1f} ms",
            f"{REF_ADDED_P50_C1_MS:.0f} ms",
            f"<= {TARGET_ADDED_P50_C1_MS:.0f} ms",
            ms(added_c1) <= TARGET_ADDED_P50_C1_MS,
        )
    ]
    for mode in ("plain", "stream"):
        cell = results.get((mode, 32))
        if cell:
            lines.append(
                (
                    f"throughput, {mode}, c=32",
                    f"{cell['gateway'].rps:.0f} rps (upstream alone {cell['direct'].rps:.0f})",
                    f"{REF_RPS_C32:.0f} rps (upstream alone {REF_UPSTREAM_RPS_C32:.0f})",
                    f">= {TARGET_RPS_C32:.0f} rps",
                    cell["gateway"].rps >= TARGET_RPS_C32,
                )
            )
    s1 = results.get(("stream", 1))
    if s1:
        added_ttft = median(s1["gateway"].ttfts) - median(s1["direct"].ttfts)
        lines.append(
            (
                "added TTFT p50, stream, c=1",
                f"{ms(added_ttft):.1f} ms",
                f"{REF_ADDED_TTFT_MS:.0f} ms",
                "(no target; reference shown)",
                None,
            )
        )
    lines.append(
        (
            "gateway peak RSS",
            f"{hwm_mb:.0f} MB",
            f"about {REF_RSS_MB:.0f} MB",
            "(no target; reference shown)",
            None,
        )
    )
    per_req = dynamo / n_gw if n_gw else float("nan")
    lines.append(
        (
            "DynamoDB calls per authenticated request",
            f"{per_req:.4f}",
            "-",
            f"<= {TARGET_DYNAMO_PER_REQUEST:.0f}",
            per_req <= TARGET_DYNAMO_PER_REQUEST,
        )
    )
    print(
        table(
            ["figure", "Switchboard", "reference", "target", "verdict"],
            [[a, b, c, d, "-" if e is None else verdict(e)] for a, b, c, d, e in lines],
        )
    )


def print_profile(path: str, top: int = 15) -> None:
    stats = pstats.Stats(path)
    core = str(ROOT / "layers" / "core" / "switchboard")
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    entries = []
    for (file, line, func), (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append((file, line, func, tt, ct))
    print()
    print(
        f"cProfile of the gateway's event-loop thread during the measured phase "
        f"({total:.2f} s profiled; cProfile slows the code it watches):"
    )
    for title, key in (("by own time", 3), ("by cumulative time", 4)):
        print(f"\nswitchboard core functions {title}:")
        core_rows = sorted((e for e in entries if e[0].startswith(core)), key=lambda e: -e[key])
        print(
            table(
                ["function", "own s", "own %", "cum s", "cum %"],
                [
                    [
                        f"{os.path.relpath(f, ROOT / 'layers' / 'core')}:{ln}:{fn}",
                        tt,
                        f"{tt / total:.1%}",
                        ct,
                        f"{ct / total:.1%}",
                    ]
                    for f, ln, fn, tt, ct in core_rows[:top]
                ],
            )
        )
    print("\nall functions by own time:")
    rows = sorted(entries, key=lambda e: -e[3])[:top]
    print(
        table(
            ["function", "own s", "own %", "cum s"],
            [[f"{_short(f)}:{ln}:{fn}", tt, f"{tt / total:.1%}", ct] for f, ln, fn, tt, ct in rows],
        )
    )


def _short(file: str) -> str:
    marker = "site-packages/"
    return (
        file.split(marker, 1)[1]
        if marker in file
        else os.path.relpath(file, ROOT)
        if file.startswith(str(ROOT))
        else file
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--loop",
        default="auto",
        choices=["auto", "asyncio", "uvloop"],
        help="gateway event loop (auto = serve()'s default)",
    )
    parser.add_argument(
        "--http",
        default="auto",
        choices=["auto", "h11", "httptools"],
        help="gateway HTTP protocol (auto = serve()'s default)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        default=None,
        help="cProfile the gateway during the measured phase, dump and summarise",
    )
    parser.add_argument(
        "--requests",
        type=int,
        nargs=3,
        metavar=("C1", "C8", "C32"),
        default=None,
        help="requests per target at c=1, 8, 32",
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    counts = args.requests or ([16, 48, 96] if args.quick else [150, 400, 800])
    plan = dict(zip((1, 8, 32), counts, strict=True))
    rounds = 1 if args.quick else 2
    cores = os.cpu_count() or 1
    print(
        f"Gateway overhead: upstream latency {LATENCY_MS} ms, requests per target and mode "
        f"{plan} (closed loop, {rounds} alternating rounds), {cores} cores, "
        f"gateway loop={args.loop} http={args.http}" + (" [quick]" if args.quick else ""),
        flush=True,
    )
    started = time.perf_counter()
    p = start_processes(args)
    try:
        print(
            f"  gateway {p.gateway_url}, upstream {p.upstream_url} "
            f"(started in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        before = control(p, "/calls")
        results = asyncio.run(benchmark(p, plan, rounds, budget_s=150, profile=args.profile))
        after = control(p, "/calls")
        total_calls = {
            k: v - before["by_operation"].get(k, 0)
            for k, v in after["by_operation"].items()
            if v - before["by_operation"].get(k, 0)
        }
        # The warm-up's calls are in `before`->first measured run; report only measured ones.
        measured_calls: dict[str, int] = {}
        for cell in results.values():
            for k, v in cell["gateway"].aws_calls.items():
                measured_calls[k] = measured_calls.get(k, 0) + v
        print(
            f"  AWS calls at gateway start-up (platform wiring, dev key): "
            f"{before['by_operation']}; during warm-up and measurement: {total_calls or 'none'}"
        )
        report(results, p, after["runtime"], measured_calls, cores)
        if args.profile:
            print_profile(args.profile)
    finally:
        p.stop()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
