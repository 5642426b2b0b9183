"""The platform as `make serve` runs it, for metering_overhead.py: each revision's own
`switchboard serve` (benchmarks/_gateway.py without --aws-endpoint, so the emulator runs
where that revision's serve puts it: inside the platform's process at 665bf63, in a child
process of it now), against the fake upstream (50 ms) called directly, side by side.

    measure_serve(targets, counts, rounds)   added p50 at c=1 and throughput at c=32 (plain),
                                             added time to first token at c=8 (streamed),
                                             CPU per request of the platform's processes
    in_a_row(targets, n)                     n requests one after another (upstream without
                                             latency); the first and last thousand's latency
"""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from _common import median, percentile, table, verdict
from _gateway_processes import INSTANT_MODEL
from _load import Results, Run, Targets, _measure_cell, body_for, warm_up

CELLS = (("plain", 1), ("plain", 32), ("stream", 8))
TARGET_ADDED_P50_MS = 6.0
TARGET_RPS_C32 = 193.0  # what the best-known open-source gateway serves here, no database


async def measure_serve(
    targets: Targets, counts: dict[tuple[str, int], int], rounds: int, budget_s: float
) -> Results:
    await warm_up(targets, budget_s)
    results: Results = {}
    for mode, c in CELLS:
        results[(mode, c)] = await _measure_cell(
            targets, mode == "stream", c, counts[(mode, c)], rounds, budget_s
        )
    return results


def serve_figures(results: Results, name: str) -> dict[str, float]:
    c1, c32, c8 = (results[cell] for cell in CELLS)
    return {
        "added p50 c=1": ms(median(c1[name].latencies) - median(c1["direct"].latencies)),
        "added p99 c=1": ms(
            percentile(c1[name].latencies, 99) - percentile(c1["direct"].latencies, 99)
        ),
        "rps c=32": c32[name].rps,
        "rps c=32 direct": c32["direct"].rps,
        "added TTFT c=8": ms(median(c8[name].ttfts) - median(c8["direct"].ttfts)),
        "CPU c=1": _cpu(c1[name]),
        "CPU c=32": _cpu(c32[name]),
        "errors": float(sum(cell[name].errors for cell in results.values())),
    }


def report_serve(results: Results, names: list[str]) -> None:
    figures = {name: serve_figures(results, name) for name in names}
    rows = []
    for key, unit, target in (
        ("added p50 c=1", "ms", f"<= {TARGET_ADDED_P50_MS:.0f} ms"),
        ("added p99 c=1", "ms", ""),
        ("rps c=32", "rps", f">= {TARGET_RPS_C32:.0f} rps"),
        ("rps c=32 direct", "rps", ""),
        ("added TTFT c=8", "ms", ""),
        ("CPU c=1", "ms/req", ""),
        ("CPU c=32", "ms/req", ""),
        ("errors", "", ""),
    ):
        values = [figures[n][key] for n in names]
        rows.append([key, unit, *values, _ratio(values), target, _verdict(key, values[-1])])
    ratio = "after/before" if len(names) > 1 else ""
    print(table(["figure", "unit", *names, ratio, "target", "verdict (last)"], rows))


async def in_a_row(targets: Targets, n: int, budget_s: float) -> dict[str, list[float]]:
    """`n` plain requests to INSTANT_MODEL, one after another, through each gateway."""
    latencies: dict[str, list[float]] = {}
    for name, target in targets.items():
        if not target.via_gateway:
            continue
        url = target.p.gateway_url + "/chat/completions"
        body = body_for(INSTANT_MODEL, stream=False)
        started, load = time.perf_counter(), os.getloadavg()[0]
        latencies[name] = await _sequential(target.client, url, body, n, started + budget_s)
        print(
            f"  {name}: {len(latencies[name])} requests in a row in "
            f"{time.perf_counter() - started:.0f} s (load average {load:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after)",
            flush=True,
        )
    return latencies


async def _sequential(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], n: int, deadline: float
) -> list[float]:
    found = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.post(url, json=body)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        found.append(time.perf_counter() - start)
        if start > deadline:
            break
    return found


def report_in_a_row(latencies: dict[str, list[float]], window: int) -> None:
    rows = []
    for name, values in latencies.items():
        first, last = values[:window], values[-window:]
        rows.append(
            [
                name,
                len(values),
                ms(median(first)),
                ms(percentile(first, 99)),
                ms(median(last)),
                ms(percentile(last, 99)),
                f"{median(last) / median(first):.2f}x",
                f"{percentile(last, 99) / percentile(first, 99):.2f}x",
                ms(max(values)),
            ]
        )
    headers = ["gateway", "requests", f"first {window} p50", "p99", f"last {window} p50", "p99"]
    print(table([*headers, "p50 last/first", "p99 last/first", "slowest"], rows))
    for name, values in latencies.items():
        blocks = [values[i : i + window] for i in range(0, len(values), window)]
        trend = " ".join(f"{ms(median(b)):.1f}" for b in blocks if len(b) == window)
        print(f"  {name}: p50 of each {window} in turn: {trend}")


def ms(seconds: float) -> float:
    return seconds * 1000


def _cpu(run: Run) -> float:
    return ms(run.platform_cpu / run.count) if run.count else float("nan")


def _ratio(values: list[float]) -> str:
    if len(values) < 2 or not values[0] or values[0] != values[0]:
        return ""
    return f"{values[-1] / values[0]:.2f}x"


def _verdict(key: str, value: float) -> str:
    if key == "added p50 c=1":
        return verdict(value <= TARGET_ADDED_P50_MS)
    if key == "rps c=32":
        return verdict(value >= TARGET_RPS_C32)
    return ""
