"""Batch throughput: lines per second of OpenAI's Batch API on the local platform as `make
serve` runs it (benchmarks/_gateway.py: `switchboard serve` with every AWS call counted; its
emulator in a child process), against an OpenAI-compatible upstream on loopback that answers
each chat completion after a fixed 50 ms, with usage. Prints figures; asserts none.

    .venv/bin/python benchmarks/batch_throughput.py                 # 1,000 and 10,000 lines
    .venv/bin/python benchmarks/batch_throughput.py --lines 1000    # one size
    .venv/bin/python benchmarks/batch_throughput.py --quick         # smoke run: 50 lines

Driven as a user drives it, over HTTP with the development key: the JSONL file uploaded
through POST /v1/files, POST /v1/batches, then GET /v1/batches/{id} every --poll seconds until
the batch ends. Lines per second = lines / (time from POST /v1/batches to the first poll that
sees it completed). AWS calls are counted in the platform's process, by service, operation
and (for SQS) queue, from just before the upload to the end, and given per line; this
client's own polls are measured afterwards (calls per GET) and left out. The state machine's
own service integrations run inside the emulator, not in the platform: they are read from
the execution's history and shown apart (per batch, they do not grow with its lines).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table, tree_cpu_seconds, verdict, wait_for_port
from _gateway_processes import (
    BENCH_KEY,
    GATEWAY_MODEL,
    LATENCY_MS,
    ROOT,
    Processes,
    call_delta,
    control,
    spawn_upstream,
    start_gateway,
)

SIZES = [1_000, 10_000]
QUICK_SIZE = 50
TARGET_LINES_PER_S = 100.0
TARGET_CALLS_PER_LINE = 6.0
SERVICES = ("dynamodb", "sqs", "s3", "stepfunctions")
ENDED = {"completed", "failed", "cancelled", "expired"}
STATES = ["Validate", "GoesOn", "Split", "WaitForLines", "ReadBatch", "LinesDone", "Finalize"]
STATES += ["MarkFailed", "Done", "Failed"]
POLL_PROBES = 20  # GETs made after the runs to measure what one poll costs


@dataclass
class BatchRun:
    batch_id: str
    lines: int
    status: str
    seconds: float
    counts: dict[str, int]
    calls: dict[str, int]  # service.operation -> calls, the client's polls left out
    by_queue: dict[str, int]
    polls: int
    poll_calls: dict[str, float]  # what the polls cost, left out of `calls`
    phases: dict[str, float]  # seconds from creation, by the batch's own *_at timestamps
    machine: dict[str, Any] = field(default_factory=dict)  # state: (times entered, seconds)
    cpu_seconds: float = 0.0  # the platform's processes (gateway and emulator)

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds

    def per_line(self, calls: int | float) -> float:
        return calls / self.lines

    def service_total(self, service: str) -> int:
        return sum(n for name, n in self.calls.items() if name.split(".")[0] == service)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lines", type=int, nargs="+", default=None, help=f"batch sizes (default {SIZES})"
    )
    parser.add_argument("--quick", action="store_true", help=f"a smoke run ({QUICK_SIZE} lines)")
    parser.add_argument(
        "--poll", type=float, default=0.25, help="seconds between this client's polls"
    )
    args = parser.parse_args()
    args.lines = args.lines or ([QUICK_SIZE] if args.quick else SIZES)
    # What start_gateway passes on to benchmarks/_gateway.py: serve()'s own defaults.
    args.loop, args.http, args.profile = "auto", "auto", None
    return args


def main() -> int:
    args = parse_args()
    os.chdir(ROOT)
    print(
        f"Batch throughput: chat completion lines (model {GATEWAY_MODEL}, max_tokens 16), "
        f"upstream latency {LATENCY_MS} ms on loopback, batches of {args.lines} lines, "
        f"{os.cpu_count() or 1} cores" + (" [quick]" if args.quick else ""),
        flush=True,
    )
    p = Processes()
    try:
        upstream_port = spawn_upstream(p)
        start_gateway(p, args, embedded=True)  # the emulator where `make serve` puts it
        wait_for_port(upstream_port)
        runtime = control(p, "/calls")["runtime"]
        print_platform(runtime, p)
        runs = run_all(p, args, runtime)
    finally:
        p.stop()
    report(runs, args)
    return 0


def print_platform(runtime: dict[str, Any], p: Processes) -> None:
    consumers = runtime.get("consumers", {})
    print(f"platform: switchboard from {runtime.get('switchboard')}, emulator {emulator_url(p)}")
    print(
        f"  BatchPollSeconds (the state machine's wait between reads of the batch): "
        f"{runtime.get('batch_poll_seconds')} s"
    )
    print(
        "  BatchLineConcurrency (line consumers running at once): "
        f"{consumers.get('BatchLinesFunction<-BatchLinesQueue', '?')}"
    )
    print("  queue consumers: " + ", ".join(f"{k} x{v}" for k, v in sorted(consumers.items())))
    print(flush=True)


def run_all(p: Processes, args: argparse.Namespace, runtime: dict[str, Any]) -> list[BatchRun]:
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    runs: list[BatchRun] = []
    with httpx.Client(base_url=p.gateway_url, headers=headers, timeout=60) as client:
        run_batch(client, p, 20, args.poll)  # warm-up: imports, first connections
        for lines in args.lines:
            load = os.getloadavg()[0]
            run = run_batch(client, p, lines, args.poll)
            run.machine = machine_states(p, runtime, run)
            runs.append(run)
            print(
                f"  {lines} lines: {run.status} {run.counts} in {run.seconds:.1f} s, "
                f"{run.lines_per_second:.1f} lines/s, "
                f"{run.per_line(sum(run.calls.values())):.2f} AWS calls per line with the "
                f"client's polls (load average {load:.2f} before, {os.getloadavg()[0]:.2f} after)",
                flush=True,
            )
        cost = poll_cost(client, p, runs[-1].batch_id if runs else "")
    for run in runs:
        run.poll_calls = {name: n * run.polls for name, n in cost.items()}
        run.calls = _minus(run.calls, run.poll_calls)
    return runs


def run_batch(client: httpx.Client, p: Processes, lines: int, poll: float) -> BatchRun:
    data = requests_file(lines)
    before = control(p, "/calls")
    cpu_before = tree_cpu_seconds(p.gateway.pid) if p.gateway else 0.0
    uploaded = _ok(
        client.post(
            "/files",
            data={"purpose": "batch"},
            files={"file": ("requests.jsonl", data, "application/jsonl")},
        )
    )
    started = time.perf_counter()
    batch = _ok(
        client.post(
            "/batches",
            json={
                "input_file_id": uploaded["id"],
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
            },
        )
    )
    polls = 0
    while batch["status"] not in ENDED:
        time.sleep(poll)
        batch = _ok(client.get(f"/batches/{batch['id']}"))
        polls += 1
    seconds = time.perf_counter() - started
    after = control(p, "/calls")
    return BatchRun(
        batch["id"],
        lines,
        batch["status"],
        seconds,
        batch["request_counts"],
        call_delta(before["by_operation"], after["by_operation"]),
        call_delta(before["sqs_by_queue"], after["sqs_by_queue"]),
        polls,
        {},
        _phases(batch),
        cpu_seconds=(tree_cpu_seconds(p.gateway.pid) if p.gateway else 0.0) - cpu_before,
    )


def requests_file(lines: int) -> bytes:
    return b"".join(
        json.dumps(
            {
                "custom_id": f"request-{n}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": GATEWAY_MODEL,
                    "max_tokens": 16,
                    "messages": [{"role": "user", "content": f"Question number {n}"}],
                },
            }
        ).encode()
        + b"\n"
        for n in range(1, lines + 1)
    )


def poll_cost(client: httpx.Client, p: Processes, batch_id: str) -> dict[str, float]:
    """AWS calls per GET /v1/batches/{id}, measured on an ended batch. The idle queue
    consumers' receives go on meanwhile: only the services a GET uses besides SQS count."""
    if not batch_id:
        return {}
    before = control(p, "/calls")["by_operation"]
    for _ in range(POLL_PROBES):
        _ok(client.get(f"/batches/{batch_id}"))
    after = control(p, "/calls")["by_operation"]
    delta = call_delta(before, after)
    return {k: n / POLL_PROBES for k, n in delta.items() if not k.startswith("sqs.")}


def machine_states(p: Processes, runtime: dict[str, Any], run: BatchRun) -> dict[str, Any]:
    """Each state of the batch's execution: how often it was entered and the seconds spent
    in it (its history, read from the emulator directly: these calls are the state
    machine's, not the platform's)."""
    arn = runtime.get("batch_state_machine_arn")
    if not arn:
        return {}
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=emulator_url(p),
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    execution = arn.replace(":stateMachine:", ":execution:") + f":{run.batch_id}"
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return _time_in_states(events)


def _time_in_states(events: list[dict[str, Any]]) -> dict[str, Any]:
    entered: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    current: tuple[str, Any] | None = None
    for event in events:
        details = event.get("stateEnteredEventDetails")
        ended = event["type"].startswith("Execution") and event["type"] != "ExecutionStarted"
        if current is not None and (details or ended):
            seconds[current[0]] += (event["timestamp"] - current[1]).total_seconds()
            current = None
        if details:
            entered[details["name"]] += 1
            current = (details["name"], event["timestamp"])
    return {name: (entered[name], seconds[name]) for name in entered}


def emulator_url(p: Processes) -> str:
    for line in p.gateway_output:
        if line.strip().startswith("Emulated AWS:"):
            return line.split()[2]
    raise RuntimeError("the platform did not say where its emulator is")


def report(runs: list[BatchRun], args: argparse.Namespace) -> None:
    print()
    print("Throughput (time from POST /v1/batches to the poll that sees it completed)")
    rows = [
        [run.lines, run.status, run.counts["completed"], run.counts["failed"], run.seconds,
         run.lines_per_second, *run.phases.values(), 1000 * run.cpu_seconds / run.lines,
         f">= {TARGET_LINES_PER_S:.0f}", verdict(run.lines_per_second >= TARGET_LINES_PER_S)]
        for run in runs
    ]  # fmt: skip
    headers = [
        *("lines", "status", "completed", "failed", "seconds", "lines/s"),
        *("in progress at", "finalizing at", "completed at", "platform CPU ms/line"),
        *("target", "verdict"),
    ]
    print(table(headers, rows))
    print("  (in progress/finalizing/completed at: seconds after creation, from the batch's own")
    print("   timestamps, whole seconds)")
    print()
    print("AWS calls per line, made by the platform (the client's polls left out)")
    names = sorted({name for run in runs for name in run.calls})
    rows: list[list[object]] = []
    for service in SERVICES:
        for name in (n for n in names if n.split(".")[0] == service):
            rows.append([name, *(run.per_line(run.calls.get(name, 0)) for run in runs)])
        rows.append(
            [f"{service} (all)", *(run.per_line(run.service_total(service)) for run in runs)]
        )
    others = [n for n in names if n.split(".")[0] not in SERVICES]
    for name in others:
        rows.append([name, *(run.per_line(run.calls.get(name, 0)) for run in runs)])
    rows.append(["total", *(run.per_line(sum(run.calls.values())) for run in runs)])
    print(
        table(["calls / line", *(f"{run.lines} lines" for run in runs)], [_fmt3(r) for r in rows])
    )
    for run in runs:
        total = run.per_line(sum(run.calls.values()))
        print(
            f"  {run.lines} lines: {sum(run.calls.values())} calls, {total:.2f} per line "
            f"(target <= {TARGET_CALLS_PER_LINE:.0f}: {verdict(total <= TARGET_CALLS_PER_LINE)}); "
            f"{run.polls} client polls left out "
            f"({sum(run.poll_calls.values()) / max(run.polls, 1):.1f} calls each)"
        )
    print()
    print("SQS calls by queue (per batch)")
    queues = sorted({name for run in runs for name in run.by_queue})
    print(
        table(
            ["call", *(f"{run.lines} lines" for run in runs)],
            [[name, *(run.by_queue.get(name, 0) for run in runs)] for name in queues],
        )
    )
    print()
    print(
        "The state machine's states (its history: where a batch's time goes; its Wait and\n"
        "ReadBatch loop is the lines' time, and the task states' own calls run in the emulator)"
    )
    states = [name for name in STATES if any(name in run.machine for run in runs)]
    rows = [
        [name, *(_entered(run, name) for run in runs), *(_seconds(run, name) for run in runs)]
        for name in states
    ]
    headers = [f"entered, {run.lines} lines" for run in runs]
    print(table(["state", *headers, *(f"seconds, {run.lines} lines" for run in runs)], rows))


def _entered(run: BatchRun, state: str) -> object:
    return run.machine[state][0] if state in run.machine else "-"


def _seconds(run: BatchRun, state: str) -> float:
    return float(run.machine[state][1]) if state in run.machine else float("nan")


def _fmt3(row: list[object]) -> list[object]:
    return [f"{v:.3f}" if isinstance(v, float) else v for v in row]


def _phases(batch: dict[str, Any]) -> dict[str, float]:
    created = batch["created_at"]
    return {
        key: float(batch[key] - created) if batch.get(key) else float("nan")
        for key in ("in_progress_at", "finalizing_at", "completed_at")
    }


def _minus(calls: dict[str, int], left_out: dict[str, float]) -> dict[str, int]:
    return {k: max(0, round(n - left_out.get(k, 0))) for k, n in calls.items()}


def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response.json()


if __name__ == "__main__":
    sys.exit(main())
