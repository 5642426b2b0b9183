"""Metering overhead: the DynamoDB calls, the latency and the CPU that counting, holding and
settling credits cost an authenticated chat request, before (665bf63 by default: three
DynamoDB calls per metered request, moto's werkzeug server inside the platform) and after
(this working tree), side by side in one run, with the upstream called directly. Prints
figures; asserts none. Four parts:

1. Gateways on emulators of their own (the gateway's own CPU): DynamoDB calls per metered
   chat request and per authenticated request that is not metered (GET /v1/models), added
   latency and gateway CPU, plain and streamed, at concurrency 1 and 8.
2. The platform as `make serve` runs it (benchmarks/_make_serve.py): each revision's
   `switchboard serve`, emulator wherever that revision puts it; added p50 at c=1,
   throughput at c=32, added time to first token at c=8 streamed, CPU per request of all
   the platform's processes.
3. Requests in a row through those platforms (20,000 by default, upstream without latency):
   every request adds two ledger items to its payer's partition; the first and the last
   thousand's latency.
4. benchmarks/cold_start.py of each revision: the inference function's cold start.

    .venv/bin/python benchmarks/metering_overhead.py            # default run (~15 minutes)
    .venv/bin/python benchmarks/metering_overhead.py --quick    # smoke run (~1 minute)
    .venv/bin/python benchmarks/metering_overhead.py --before REV   # another "before"
    .venv/bin/python benchmarks/metering_overhead.py --in-a-row 5000  # a shorter part 3
    .venv/bin/python benchmarks/metering_overhead.py --tracing off,on --quick  # traces' cost

`--tracing off,on` (or `off` or `on`) measures this tree only, part 1 only, with traces off
(TRACING=false: no trace writes, no TraceContext) and on (the default: a span, the trace's
summary and a counter update ride on each settlement, input and output captured): the same
DynamoDB calls per request, and what the traces add to latency and gateway CPU.

The "before" gateway runs benchmarks/_gateway.py (this tree's) with PYTHONPATH set to that
revision's layers/core, taken with `git archive` into a temporary directory together with its
template.yaml and functions/; each gateway prints the switchboard package it imported, and this
script shows both. Without git or the revision (a tarball, a shallow clone) it says why and
measures this tree's gateway only. Each gateway has its own emulated AWS (this tree's
benchmarks/_emulator.py), so their tables never meet; both use the one fake upstream (50 ms).
Closed loop; the targets alternate in every round, so drift hits all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cold_compare import run_cold_starts
from _common import median, percentile, table, wait_for_port
from _gateway_processes import (
    LATENCY_MS,
    ROOT,
    GatewayCode,
    Processes,
    call_delta,
    control,
    spawn_instant_upstream,
    spawn_upstream,
    start_gateway,
)
from _load import Results, Run, compare, load_clients, target_clients
from _make_serve import (
    in_a_row,
    measure_serve,
    report_in_a_row,
    report_serve,
    serve_figures,
)
from _targets import Summary, print_targets

BEFORE_REVISION = "665bf63"
# What a gateway needs of a revision, and its cold_start.py with the events it serves.
ARCHIVED = ["layers/core", "template.yaml", "functions", "benchmarks", "events"]
OPERATIONS = ["GetItem", "UpdateItem", "TransactWriteItems"]
BUDGET_S = 150.0
SERVE_COUNTS = {("plain", 1): 150, ("plain", 32): 960, ("stream", 8): 400}

TABLE_COLUMNS = [
    "mode",
    "c",
    "target",
    "requests",
    "p50",
    "p99",
    "added p50",
    "added p99",
    "gw CPU ms/req",
    *(f"{op}/req" for op in OPERATIONS),
    "other/req",
    "DynamoDB calls/req",
    "errors",
]
RATIO_COLUMNS = [
    "mode",
    "c",
    "DynamoDB calls/req",
    "added p50 ms",
    "added p99 ms",
    "gw CPU ms/req",
    "p50 after/before",
    "p99 after/before",
    "CPU after/before",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--before",
        metavar="REV",
        default=BEFORE_REVISION,
        help=f"the revision to compare with (default {BEFORE_REVISION}; none: after only)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        nargs=2,
        metavar=("C1", "C8"),
        default=None,
        help="requests per target and mode at c=1 and c=8",
    )
    parser.add_argument(
        "--in-a-row",
        type=int,
        default=None,
        metavar="N",
        help="requests in a row through each platform (default 20000; 300 with --quick)",
    )
    parser.add_argument("--no-cold-start", action="store_true", help="leave out part 4")
    parser.add_argument(
        "--tracing",
        metavar="off,on",
        default=None,
        help="compare this tree with traces off and on (part 1 only), instead of before/after",
    )
    return parser.parse_args()


def tracing_codes(choice: str) -> dict[str, GatewayCode]:
    """This tree's gateway with traces off and/or on (TRACING), in the order asked."""
    wanted = [part.strip() for part in choice.split(",") if part.strip()]
    if not wanted or set(wanted) - {"off", "on"}:
        raise SystemExit("--tracing takes off, on, or off,on")
    label = working_tree_label()
    return {
        f"tracing {state}": GatewayCode(
            label=f"{label}, TRACING={'true' if state == 'on' else 'false'}",
            env=(("TRACING", "true" if state == "on" else "false"),),
        )
        for state in wanted
    }


def main() -> int:
    args = parse_args()
    os.chdir(ROOT)
    counts = args.requests or ([24, 64] if args.quick else [150, 450])
    plan = dict(zip((1, 8), counts, strict=True))
    rounds = 2 if args.quick else 3
    print(
        f"Metering overhead: authenticated chat completions (model bench-chat, max_tokens 64), "
        f"upstream latency {LATENCY_MS} ms, requests per target and mode {plan} (closed loop, "
        f"{rounds} alternating rounds), {os.cpu_count() or 1} cores"
        + (" [quick]" if args.quick else ""),
        flush=True,
    )
    started = time.perf_counter()
    summary: Summary = {}
    if args.tracing is not None:
        codes = tracing_codes(args.tracing)
        run(codes, plan, rounds, summary)
        print_targets(summary, list(codes))
        print(f"\n(total {time.perf_counter() - started:.0f} s)")
        return 0
    with tempfile.TemporaryDirectory(prefix="switchboard-before-") as tmp:
        before = materialise(args.before, Path(tmp))
        codes = {"after": GatewayCode(label=f"after: {working_tree_label()}")}
        if isinstance(before, GatewayCode):
            codes = {"before": before} | codes
        else:
            print(f"  no 'before' gateway: {before}; measuring 'after' only", flush=True)
        run(codes, plan, rounds, summary)
        run_serve(codes, args, summary)
        if not args.no_cold_start:
            run_cold_starts(codes, args.quick, summary)
    print_targets(summary, list(codes))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


# --- the two revisions -----------------------------------------------------------------------


def materialise(revision: str, directory: Path) -> GatewayCode | str:
    """`revision`'s layers/core, template.yaml and functions/ in `directory`, as the code of a
    gateway; or why that cannot be done ("none": not asked for)."""
    if revision == "none":
        return "--before none"
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        subject = _git("log", "-1", "--format=%h %s", commit)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, *ARCHIVED],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except FileNotFoundError:
        return "git is not installed"
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        return f"git cannot give revision {revision}" + (f" ({detail[-1]})" if detail else "")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return GatewayCode(
        label=f"before: {subject}",
        core=directory / "layers" / "core",
        template=directory / "template.yaml",
    )


def working_tree_label() -> str:
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", *ARCHIVED)
    except (FileNotFoundError, subprocess.CalledProcessError):
        return "this tree"
    return f"working tree (HEAD {head}" + (" + uncommitted changes)" if dirty else ")")


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True).stdout
    return out.decode().strip()


# --- processes and load ----------------------------------------------------------------------


def run(codes: dict[str, GatewayCode], plan: dict[int, int], rounds: int, summary: Summary) -> None:
    """Part 1: each gateway on an emulator of its own."""
    print("\n1. Gateways on emulators of their own (the gateway's own CPU)", flush=True)
    started = time.perf_counter()
    shared = Processes()
    gateways: dict[str, Processes] = {}
    try:
        wait_for_port(spawn_upstream(shared))
        gw_args = argparse.Namespace(loop="auto", http="auto", profile=None)
        for name, code in codes.items():
            gateways[name] = Processes(upstream=shared.upstream, upstream_url=shared.upstream_url)
            start_gateway(gateways[name], gw_args, code)
        print(
            f"  upstream {shared.upstream_url}; gateways started in "
            f"{time.perf_counter() - started:.1f} s:",
            flush=True,
        )
        show_code(codes, gateways)
        results = asyncio.run(_load(shared, gateways, plan, rounds))
        report(results, list(gateways))
        unmetered = asyncio.run(unmetered_calls(gateways, 40 if plan[1] < 100 else 200))
        for name in gateways:
            metered = _dynamodb_per_request(_measured(results, name))["total"]
            summary.setdefault(name, {}).update(
                {
                    "calls per metered chat": metered,
                    "calls per GET /v1/models": unmetered[name],
                    "gateway CPU c=1 plain": ms(_cpu(results[("plain", 1)][name])),
                }
            )
    finally:
        for p in gateways.values():
            p.stop()
        shared.stop()


async def unmetered_calls(gateways: dict[str, Processes], n: int) -> dict[str, float]:
    """DynamoDB calls per authenticated request that is not metered: GET /v1/models."""
    found = {}
    async with load_clients() as (_, authorised):
        for name, p in gateways.items():
            await authorised.get(p.gateway_url + "/models")  # the key read, if not yet
            before = control(p, "/calls")["by_operation"]
            for _ in range(n):
                (await authorised.get(p.gateway_url + "/models")).raise_for_status()
            calls = _dynamodb_calls(call_delta(before, control(p, "/calls")["by_operation"]))
            found[name] = sum(calls.values()) / n
            print(f"  {name}: GET /v1/models x {n}: {calls or 'no DynamoDB calls'}")
    return found


def run_serve(codes: dict[str, GatewayCode], args: argparse.Namespace, summary: Summary) -> None:
    """Parts 2 and 3: each revision's platform as `make serve` runs it."""
    quick = args.quick
    counts = {("plain", 1): 24, ("plain", 32): 128, ("stream", 8): 64} if quick else SERVE_COUNTS
    n = args.in_a_row or (300 if quick else 20_000)
    window = min(1000, n // 4)
    print(
        f"\n2. The platform as `make serve` runs it (each revision's serve(), its emulator "
        f"where that revision puts it), requests per target {counts}, upstream {LATENCY_MS} ms",
        flush=True,
    )
    started = time.perf_counter()
    shared = Processes()
    gateways: dict[str, Processes] = {}
    try:
        wait_for_port(spawn_upstream(shared))
        wait_for_port(spawn_instant_upstream(shared))
        gw_args = argparse.Namespace(loop="auto", http="auto", profile=None)
        for name, code in codes.items():
            gateways[name] = Processes(
                upstream=shared.upstream,
                upstream_url=shared.upstream_url,
                instant_upstream_url=shared.instant_upstream_url,
            )
            start_gateway(gateways[name], gw_args, code, embedded=True)
        print(f"  platforms started in {time.perf_counter() - started:.1f} s:", flush=True)
        show_code(codes, gateways)
        for name, p in gateways.items():
            print(f"    {name:6} processes: {platform_processes(p)}")
        results, in_row = asyncio.run(_serve_load(shared, gateways, counts, n))
        print()
        report_serve(results, list(gateways))
        print(
            f"\n3. {n} requests in a row through each platform (upstream without latency, "
            f"c=1; each adds two ledger items to the payer's partition), latency in ms:"
        )
        report_in_a_row(in_row, window)
        for name in gateways:
            figures = serve_figures(results, name)
            values = in_row[name]
            summary.setdefault(name, {}).update(
                figures
                | {
                    "in a row p50 first": ms(median(values[:window])),
                    "in a row p50 last": ms(median(values[-window:])),
                    "in a row p99 first": ms(percentile(values[:window], 99)),
                    "in a row p99 last": ms(percentile(values[-window:], 99)),
                }
            )
    finally:
        for p in gateways.values():
            p.stop()
        shared.stop()


async def _serve_load(
    shared: Processes, gateways: dict[str, Processes], counts: dict[tuple[str, int], int], n: int
) -> tuple[Results, dict[str, list[float]]]:
    async with target_clients(shared, gateways) as targets:
        results = await measure_serve(targets, counts, 3, BUDGET_S)
        return results, await in_a_row(targets, n, budget_s=1800)


def platform_processes(p: Processes) -> str:
    """The gateway's process and its children, as `ps` would name them."""
    assert p.gateway is not None
    pids = [p.gateway.pid]
    for task in Path(f"/proc/{p.gateway.pid}/task").iterdir():
        pids += [int(c) for c in (task / "children").read_text().split()]
    names = []
    for pid in pids:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        names.append(f"{pid} " + " ".join(a.decode() for a in args[1:3]))
    return "; ".join(names)


def show_code(codes: dict[str, GatewayCode], gateways: dict[str, Processes]) -> None:
    """Print the switchboard package each gateway imported; fail if it is not the one meant."""
    for name, p in gateways.items():
        imported = control(p, "/calls")["runtime"].get("switchboard", "?")
        core = codes[name].core or ROOT / "layers" / "core"
        expected = (core / "switchboard").resolve()
        print(f"    {name:6} {p.gateway_url}  {codes[name].label}")
        print(f"           imports switchboard from {imported}")
        if Path(imported) != expected:
            raise RuntimeError(f"the {name} gateway imported {imported}, not {expected}")


async def _load(
    shared: Processes, gateways: dict[str, Processes], plan: dict[int, int], rounds: int
) -> Results:
    async with target_clients(shared, gateways) as targets:
        return await compare(targets, plan, rounds, BUDGET_S)


# --- report ----------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000


def report(results: Results, names: list[str]) -> None:
    print()
    print(
        "Latency in ms (whole response); added = target - direct, same mode and concurrency; "
        "calls per request = calls counted in the gateway's boto3 during its runs / requests."
    )
    rows = [
        _row(mode, c, name, run, cell["direct"])
        for (mode, c), cell in results.items()
        for name, run in cell.items()
    ]
    print(table(TABLE_COLUMNS, rows))
    print_totals(results, names)
    if "before" in names:
        print_ratios(results)
        print_summary(results, names)


def _row(mode: str, c: int, name: str, run: Run, direct: Run) -> list[Any]:
    via_gateway = name != "direct"
    per_op = _dynamodb_per_request(run) if via_gateway else {}
    return [
        mode,
        c,
        name,
        run.count,
        ms(median(run.latencies)),
        ms(percentile(run.latencies, 99)),
        ms(median(run.latencies) - median(direct.latencies)) if via_gateway else "",
        ms(percentile(run.latencies, 99) - percentile(direct.latencies, 99)) if via_gateway else "",
        ms(run.gateway_cpu / run.count) if via_gateway and run.count else "",
        *(f"{per_op[op]:.4f}" if via_gateway else "" for op in [*OPERATIONS, "other", "total"]),
        run.errors,
    ]


def _dynamodb_per_request(run: Run) -> dict[str, float]:
    """DynamoDB calls per request of a gateway run: each of OPERATIONS, "other", "total"."""
    calls = _dynamodb_calls(run.aws_calls)
    n = run.count or 1
    per_op = {op: calls.get(op, 0) / n for op in OPERATIONS}
    per_op["other"] = sum(v for k, v in calls.items() if k not in OPERATIONS) / n
    per_op["total"] = sum(calls.values()) / n
    return per_op


def _dynamodb_calls(aws_calls: dict[str, int]) -> dict[str, int]:
    return {k.split(".", 1)[1]: v for k, v in aws_calls.items() if k.startswith("dynamodb.")}


def _measured(results: Results, name: str) -> Run:
    total = Run()
    for cell in results.values():
        total.add(cell[name])
    return total


def print_totals(results: Results, names: list[str]) -> None:
    print()
    for name in names:
        run = _measured(results, name)
        calls = _dynamodb_calls(run.aws_calls)
        others = {k: v for k, v in run.aws_calls.items() if not k.startswith("dynamodb.")}
        print(
            f"{name}: {sum(calls.values())} DynamoDB calls over {run.count} measured requests "
            f"({_dynamodb_per_request(run)['total']:.4f} per request): {calls or 'none'}"
            + (f"; other AWS calls: {others}" if others else "")
        )
    print(
        "(a key is read again every KEY_CACHE_SECONDS; the 'after' platform's sweeper queries "
        "for expired holds once a minute: its calls count as 'other' when they fall in a run)"
    )


def print_ratios(results: Results) -> None:
    print()
    print("Before -> after, and after / before, same mode and concurrency:")
    rows = []
    for (mode, c), cell in results.items():
        b, a, d = cell["before"], cell["after"], cell["direct"]
        rows.append(
            [
                mode,
                c,
                _pair(_dynamodb_per_request(b)["total"], _dynamodb_per_request(a)["total"], 4),
                _pair(ms(_added(b, d, 50)), ms(_added(a, d, 50))),
                _pair(ms(_added(b, d, 99)), ms(_added(a, d, 99))),
                _pair(ms(_cpu(b)), ms(_cpu(a)), 2),
                _ratio(median(a.latencies), median(b.latencies)),
                _ratio(percentile(a.latencies, 99), percentile(b.latencies, 99)),
                _ratio(_cpu(a), _cpu(b)),
            ]
        )
    print(table(RATIO_COLUMNS, rows))


def print_summary(results: Results, names: list[str]) -> None:
    per_request = {n: _dynamodb_per_request(_measured(results, n))["total"] for n in names}
    plain, stream = results[("plain", 1)], results[("stream", 1)]
    print()
    print(
        "Summary, authenticated chat request, before -> after: DynamoDB calls per request "
        f"{per_request['before']:.4f} -> {per_request['after']:.4f}; at c=1 added p50 "
        f"plain {ms(_added(plain['before'], plain['direct'], 50)):.1f} -> "
        f"{ms(_added(plain['after'], plain['direct'], 50)):.1f} ms, streamed "
        f"{ms(_added(stream['before'], stream['direct'], 50)):.1f} -> "
        f"{ms(_added(stream['after'], stream['direct'], 50)):.1f} ms; gateway CPU per request "
        f"plain {ms(_cpu(plain['before'])):.2f} -> {ms(_cpu(plain['after'])):.2f} ms, streamed "
        f"{ms(_cpu(stream['before'])):.2f} -> {ms(_cpu(stream['after'])):.2f} ms."
    )


def _added(run: Run, direct: Run, q: int) -> float:
    if q == 50:
        return median(run.latencies) - median(direct.latencies)
    return percentile(run.latencies, q) - percentile(direct.latencies, q)


def _cpu(run: Run) -> float:
    return run.gateway_cpu / run.count if run.count else float("nan")


def _pair(before: float, after: float, digits: int = 1) -> str:
    return f"{before:.{digits}f} -> {after:.{digits}f}"


def _ratio(after: float, before: float) -> str:
    return f"{after / before:.2f}x" if before > 0 and after == after else "-"


if __name__ == "__main__":
    sys.exit(main())
