"""Metering overhead: the DynamoDB calls and the latency that counting, holding and settling
credits add to an authenticated chat request. In one run, side by side: the upstream called
directly, a gateway running the code of the revision before metering (057b72e by default:
authentication with a cached key only) and a gateway running this working tree, plain and
streamed, at concurrency 1 and 8. Prints figures; asserts none.

    .venv/bin/python benchmarks/metering_overhead.py            # default run (~1.5 minutes)
    .venv/bin/python benchmarks/metering_overhead.py --quick    # smoke run (~20 s)
    .venv/bin/python benchmarks/metering_overhead.py --before REV   # another "before"

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
from _common import median, percentile, table, wait_for_port
from _gateway_processes import (
    LATENCY_MS,
    ROOT,
    GatewayCode,
    Processes,
    control,
    spawn_upstream,
    start_gateway,
)
from _load import Results, Run, Target, compare, load_clients

BEFORE_REVISION = "057b72e"
ARCHIVED = ["layers/core", "template.yaml", "functions"]  # what a gateway needs of a revision
OPERATIONS = ["GetItem", "UpdateItem", "TransactWriteItems"]
BUDGET_S = 150.0

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
        help=f"the revision to compare with (default {BEFORE_REVISION})",
    )
    parser.add_argument(
        "--requests",
        type=int,
        nargs=2,
        metavar=("C1", "C8"),
        default=None,
        help="requests per target and mode at c=1 and c=8",
    )
    return parser.parse_args()


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
    with tempfile.TemporaryDirectory(prefix="switchboard-before-") as tmp:
        before = materialise(args.before, Path(tmp))
        after = GatewayCode(label=f"after: {working_tree_label()}")
        if isinstance(before, GatewayCode):
            run({"before": before, "after": after}, plan, rounds)
        else:
            print(f"  no 'before' gateway: {before}; measuring 'after' only", flush=True)
            run({"after": after}, plan, rounds)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


# --- the two revisions -----------------------------------------------------------------------


def materialise(revision: str, directory: Path) -> GatewayCode | str:
    """`revision`'s layers/core, template.yaml and functions/ in `directory`, as the code of a
    gateway; or why that cannot be done."""
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


def run(codes: dict[str, GatewayCode], plan: dict[int, int], rounds: int) -> None:
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
    finally:
        for p in gateways.values():
            p.stop()
        shared.stop()


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
    async with load_clients() as (direct, authorised):
        targets = {"direct": Target(shared, "direct", direct)} | {
            name: Target(p, "gateway", authorised) for name, p in gateways.items()
        }
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
