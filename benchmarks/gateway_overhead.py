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
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gateway_processes import (
    LATENCY_MS,
    ROOT,
    Processes,
    call_delta,
    control,
    start_processes,
)
from _gateway_report import print_profile, report
from _load import Results, benchmark


def parse_args() -> argparse.Namespace:
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
    return parser.parse_args()


def main() -> int:
    args = parse_args()
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
        run_and_report(p, args, plan, rounds, cores)
    finally:
        p.stop()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


def run_and_report(
    p: Processes, args: argparse.Namespace, plan: dict[int, int], rounds: int, cores: int
) -> None:
    before = control(p, "/calls")
    results = asyncio.run(benchmark(p, plan, rounds, budget_s=150, profile=args.profile))
    after = control(p, "/calls")
    total_calls = call_delta(before["by_operation"], after["by_operation"])
    print(
        f"  AWS calls at gateway start-up (platform wiring, dev key): "
        f"{before['by_operation']}; during warm-up and measurement: {total_calls or 'none'}"
    )
    # The warm-up's calls are in `before`->first measured run; report only measured ones.
    report(results, p, after["runtime"], measured_calls(results), cores)
    if args.profile:
        print_profile(args.profile)


def measured_calls(results: Results) -> dict[str, int]:
    """The gateway's AWS calls summed over the measured runs (the warm-up left out)."""
    calls: dict[str, int] = {}
    for cell in results.values():
        for k, v in cell["gateway"].aws_calls.items():
            calls[k] = calls.get(k, 0) + v
    return calls


if __name__ == "__main__":
    sys.exit(main())
