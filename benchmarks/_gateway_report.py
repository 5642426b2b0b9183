"""The tables printed by benchmarks/gateway_overhead.py: latency, CPU use, the gateway
process and its AWS calls, the comparison with the reference gateway, and a cProfile summary."""

from __future__ import annotations

import os
import pstats
from typing import Any

from _common import median, percentile, status_kib, table, verdict
from _gateway_processes import ROOT, Processes
from _load import Results, Run

# The reference to beat: the best-known open-source gateway, measured this way here.
REF_ADDED_P50_C1_MS = 12.0
REF_RPS_C32 = 193.0
REF_UPSTREAM_RPS_C32 = 589.0
REF_ADDED_TTFT_MS = 34.0
REF_RSS_MB = 1024.0
TARGET_ADDED_P50_C1_MS = REF_ADDED_P50_C1_MS / 2
TARGET_RPS_C32 = REF_RPS_C32 * 2
# Metered chat: one UpdateItem admits (counts and holds), one transaction settles.
TARGET_DYNAMO_PER_REQUEST = 2.0

LATENCY_COLUMNS = [
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
]
CPU_COLUMNS = [
    "mode",
    "c",
    "client (direct)",
    "client (gw)",
    "upstream (direct)",
    "upstream (gw)",
    "gateway",
]
REFERENCE_COLUMNS = ["figure", "Switchboard", "reference", "target", "verdict"]

# One line of the reference table: figure, ours, reference, target, met (None: no target).
Comparison = tuple[str, str, str, str, bool | None]


def ms(seconds: float) -> float:
    return seconds * 1000


def report(
    results: Results,
    p: Processes,
    runtime: dict[str, Any],
    total_calls: dict[str, int],
    cores: int,
) -> None:
    print_latency_table(results)
    print_cpu_table(results, cores)
    hwm_mb = print_gateway_process(p, runtime)
    dynamo_per_request = print_aws_calls(results, total_calls)
    print_reference_table(results, hwm_mb, dynamo_per_request)


# --- latency and CPU -------------------------------------------------------------------------


def print_latency_table(results: Results) -> None:
    print()
    print(
        "Latency in ms (whole response), TTFT = time to first content chunk (stream) or first "
        "body byte (plain); added = gateway - direct."
    )
    rows = [
        _latency_row(mode, c, cell["direct"], cell["gateway"])
        for (mode, c), cell in results.items()
    ]
    print(table(LATENCY_COLUMNS, rows))


def _latency_row(mode: str, c: int, d: Run, g: Run) -> list[Any]:
    return [
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


def print_cpu_table(results: Results, cores: int) -> None:
    print()
    print(
        "Load generator and upstream CPU use (share of one core during the runs; "
        f"{cores} cores in all):"
    )
    rows = [
        _cpu_row(mode, c, cell["direct"], cell["gateway"]) for (mode, c), cell in results.items()
    ]
    print(table(CPU_COLUMNS, rows))


def _cpu_row(mode: str, c: int, d: Run, g: Run) -> list[Any]:
    return [
        mode,
        c,
        f"{d.client_cpu / d.wall:.0%}",
        f"{g.client_cpu / g.wall:.0%}",
        f"{d.upstream_cpu / d.wall:.0%}",
        f"{g.upstream_cpu / g.wall:.0%}",
        f"{g.gateway_cpu / g.wall:.0%}",
    ]


# --- the gateway process and its AWS calls ---------------------------------------------------


def print_gateway_process(p: Processes, runtime: dict[str, Any]) -> float:
    """Print the gateway's memory and runtime; return its peak RSS in MB."""
    assert p.gateway is not None
    hwm_mb = status_kib(p.gateway.pid, "VmHWM") / 1024
    rss_mb = status_kib(p.gateway.pid, "VmRSS") / 1024
    print()
    print(
        f"Gateway process: peak RSS (VmHWM) {hwm_mb:.0f} MB, RSS now {rss_mb:.0f} MB "
        f"(the emulated AWS runs in its own process and is not counted); "
        f"event loop {runtime.get('loop')}, HTTP protocol {runtime.get('http')} "
        f"(uvicorn loop={runtime.get('config_loop')!r}, http={runtime.get('config_http')!r}); "
        f"AWS calls counted at {runtime.get('counter')}"
        f"{' and the lean DynamoDB client' if runtime.get('lean_dynamodb_client') else ''}."
    )
    return hwm_mb


def print_aws_calls(results: Results, total_calls: dict[str, int]) -> float:
    """Print the measured phase's AWS calls; return DynamoDB calls per gateway request."""
    dynamo = sum(v for k, v in total_calls.items() if k.startswith("dynamodb."))
    n_gw = sum(cell["gateway"].count for cell in results.values())
    per_request = dynamo / n_gw if n_gw else float("nan")
    print(
        f"AWS calls during the measured phase: {total_calls or 'none'} over {n_gw} "
        f"gateway requests ({per_request:.4f} DynamoDB calls "
        "per request; a cached key is looked up again every KEY_CACHE_SECONDS)."
    )
    return per_request


# --- against the reference -------------------------------------------------------------------


def print_reference_table(results: Results, hwm_mb: float, dynamo_per_request: float) -> None:
    print()
    print(
        "Against the reference (the best-known open-source gateway, measured this way on this "
        "machine):"
    )
    lines = _reference_lines(results, hwm_mb, dynamo_per_request)
    rows = [[a, b, c, d, "-" if e is None else verdict(e)] for a, b, c, d, e in lines]
    print(table(REFERENCE_COLUMNS, rows))
    print(
        "(The gateway here uses an emulator process of its own, so its CPU is its own. Each\n"
        " chat request makes 2 DynamoDB round trips; benchmarks/metering_overhead.py measures\n"
        " the platform as `make serve` runs it, before and after.)"
    )


def _reference_lines(
    results: Results, hwm_mb: float, dynamo_per_request: float
) -> list[Comparison]:
    lines = [_added_latency_line(results.get(("plain", 1)))]
    for mode in ("plain", "stream"):
        cell = results.get((mode, 32))
        if cell:
            lines.append(_throughput_line(mode, cell))
    s1 = results.get(("stream", 1))
    if s1:
        lines.append(_added_ttft_line(s1))
    lines.append(
        (
            "gateway peak RSS",
            f"{hwm_mb:.0f} MB",
            f"about {REF_RSS_MB:.0f} MB",
            "(no target; reference shown)",
            None,
        )
    )
    lines.append(
        (
            "DynamoDB calls per chat request",
            f"{dynamo_per_request:.4f}",
            "-",
            f"<= {TARGET_DYNAMO_PER_REQUEST:.0f} + key re-reads",
            dynamo_per_request <= TARGET_DYNAMO_PER_REQUEST + 0.01,
        )
    )
    return lines


def _added_latency_line(plain1: dict[str, Run] | None) -> Comparison:
    added_c1 = (
        (median(plain1["gateway"].latencies) - median(plain1["direct"].latencies))
        if plain1
        else float("nan")
    )
    return (
        "added latency p50, plain, c=1",
        f"{ms(added_c1):.1f} ms",
        f"{REF_ADDED_P50_C1_MS:.0f} ms",
        f"<= {TARGET_ADDED_P50_C1_MS:.0f} ms",
        ms(added_c1) <= TARGET_ADDED_P50_C1_MS,
    )


def _throughput_line(mode: str, cell: dict[str, Run]) -> Comparison:
    return (
        f"throughput, {mode}, c=32",
        f"{cell['gateway'].rps:.0f} rps (upstream alone {cell['direct'].rps:.0f})",
        f"{REF_RPS_C32:.0f} rps (upstream alone {REF_UPSTREAM_RPS_C32:.0f})",
        f">= {TARGET_RPS_C32:.0f} rps",
        cell["gateway"].rps >= TARGET_RPS_C32,
    )


def _added_ttft_line(s1: dict[str, Run]) -> Comparison:
    added_ttft = median(s1["gateway"].ttfts) - median(s1["direct"].ttfts)
    return (
        "added TTFT p50, stream, c=1",
        f"{ms(added_ttft):.1f} ms",
        f"{REF_ADDED_TTFT_MS:.0f} ms",
        "(no target; reference shown)",
        None,
    )


# --- cProfile --------------------------------------------------------------------------------


def print_profile(path: str, top: int = 15) -> None:
    stats = pstats.Stats(path)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    entries = [
        (file, line, func, tt, ct)
        for (file, line, func), (_cc, _nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    print()
    print(
        f"cProfile of the gateway's event-loop thread during the measured phase "
        f"({total:.2f} s profiled; cProfile slows the code it watches):"
    )
    _print_core_functions(entries, total, top)
    print("\nall functions by own time:")
    rows = sorted(entries, key=lambda e: -e[3])[:top]
    print(
        table(
            ["function", "own s", "own %", "cum s"],
            [[f"{_short(f)}:{ln}:{fn}", tt, f"{tt / total:.1%}", ct] for f, ln, fn, tt, ct in rows],
        )
    )


def _print_core_functions(entries: list[tuple[Any, ...]], total: float, top: int) -> None:
    core = str(ROOT / "layers" / "core" / "switchboard")
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


def _short(file: str) -> str:
    marker = "site-packages/"
    return (
        file.split(marker, 1)[1]
        if marker in file
        else os.path.relpath(file, ROOT)
        if file.startswith(str(ROOT))
        else file
    )
