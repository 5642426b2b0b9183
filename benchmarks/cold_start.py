"""Cold start of each function in template.yaml: a fresh Python process imports the handler
module (functions/<x>/app.py, as switchboard.local.functions.load_handler does) and serves one
authenticated event from events/<x>/, side by side with a bare `python -c pass`, interleaved.
Prints figures; asserts none.

    .venv/bin/python benchmarks/cold_start.py            # 15 runs each (~1 minute)
    .venv/bin/python benchmarks/cold_start.py --quick    # 3 runs each (smoke)

The emulated AWS (moto, in this process) and the template's resources are started once here,
with the events' API key registered; each child gets this process's environment
(AWS_ENDPOINT_URL, TABLE_NAME, fake credentials, ...), so its first event really reads the
key from DynamoDB over HTTP, as a cold container does.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, percentile, table, verdict

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
CHILD = ROOT / "benchmarks" / "_cold_child.py"
TARGET_MS = {"InferenceFunction": 250.0}
# The bare interpreter's "served" moment: its first statement.
BARE = "import json, time; print('BENCH_RESULT ' + json.dumps({'served_at': time.time()}))"
# One authenticated event per function folder.
EVENTS = {"inference": "chat-completion.json", "catalog": "list-models.json"}


@dataclass
class Target:
    name: str
    argv: list[str]
    child_args: list[str] | None = None  # None: the bare interpreter
    wall: list[float] = field(default_factory=list)
    import_ms: list[float] = field(default_factory=list)
    event_ms: list[float] = field(default_factory=list)
    ready_ms: list[float] = field(default_factory=list)
    served_ms: list[float] = field(
        default_factory=list
    )  # spawn -> event served (or, bare: first line run)
    statuses: set[object] = field(default_factory=set)
    failures: int = 0


def lambda_layer() -> tuple[str, dict[str, str]]:
    """python3.12 and the layer `make build` made, which is what Lambda imports from /opt."""
    layer = ROOT / ".aws-sam" / "build" / "CoreLayer" / "python"
    if not layer.is_dir():
        raise SystemExit(f"no built layer at {layer}: run `make build` first")
    candidates = [
        "python3.12",
        *glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")),
    ]
    for candidate in candidates:
        found = shutil.which(candidate) or candidate
        if subprocess.run([found, "-c", ""], capture_output=True, check=False).returncode == 0:
            return found, {"PYTHONPATH": str(layer)}
    raise SystemExit("--layer needs python3.12 (on PATH or under ~/.pyenv/versions)")


def targets_from_template(template_path: Path, interpreter: str) -> list[Target]:
    from switchboard.local.functions import handler_parts
    from switchboard.local.template import Template

    found = []
    for spec in Template.load(template_path).functions():
        module_file, attribute = handler_parts(spec)
        folder = spec.code_uri.resolve().name
        event_name = EVENTS.get(folder)
        if event_name is None:
            print(f"  (skipped {spec.logical_id}: no authenticated event chosen for {folder}/)")
            continue
        args = [
            str(spec.code_uri / f"{module_file}.py"),
            f"switchboard_functions.{spec.logical_id}",
            attribute,
            str(ROOT / "events" / folder / event_name),
            spec.logical_id,
        ]
        found.append(Target(spec.logical_id, [interpreter, str(CHILD), *args], args))
    return found


def run_once(target: Target, env: dict[str, str], timeout: float = 60) -> None:
    spawned = time.time()
    start = time.perf_counter()
    proc = subprocess.run(
        target.argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    wall = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        target.failures += 1
        if target.failures == 1:
            print(f"  {target.name} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        return
    target.wall.append(wall)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
    if not lines:
        target.failures += 1
        return
    result = json.loads(lines[-1].split(" ", 1)[1])
    target.served_ms.append((result["served_at"] - spawned) * 1000)
    if target.child_args is None:
        return
    target.import_ms.append(result["import_ms"])
    target.event_ms.append(result["event_ms"])
    target.ready_ms.append(result["to_ready_ms"])
    target.statuses.add(result["status"])


def importtime(target: Target, env: dict[str, str]) -> tuple[dict[str, list[int]], ...]:
    """One `-X importtime` run: {module: [self_us, cumulative_us]} for the import phase and
    for the first event (imports done lazily while serving it)."""
    proc = subprocess.run(
        [target.argv[0], "-X", "importtime", *target.argv[1:]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    phases: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
    phase = 0
    for line in proc.stderr.splitlines():
        if line.startswith("BENCH_PHASE"):
            phase = 1
            continue
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, self_us, cumulative_us, name = _parse_importtime(line)
        phases[phase][name] = [int(self_us), int(cumulative_us)]
    return phases


def _parse_importtime(line: str) -> tuple[str, str, str, str]:
    body = line.split(":", 1)[1]
    self_us, cumulative_us, name = body.split("|", 2)
    return "", self_us.strip(), cumulative_us.strip(), name.rstrip()


def summarize_importtime(runs: list[dict[str, list[int]]], top: int) -> tuple[list, list, float]:
    """Median over runs of each module's cumulative and self time; and per top-level package
    the sum of self times (the package's own share of the import)."""
    cumulative: dict[str, list[int]] = defaultdict(list)
    own: dict[str, list[int]] = defaultdict(list)
    packages: dict[str, list[int]] = defaultdict(list)
    for run in runs:
        per_package: dict[str, int] = defaultdict(int)
        for raw_name, (self_us, cum_us) in run.items():
            depth = (len(raw_name) - len(raw_name.lstrip())) // 2
            name = raw_name.strip()
            cumulative[(depth, name)].append(cum_us)  # type: ignore[index]
            own[(depth, name)].append(self_us)  # type: ignore[index]
            per_package[name.split(".")[0]] += self_us
        for package, total in per_package.items():
            packages[package].append(total)
    modules = sorted(
        ((median(v) / 1000, median(own[k]) / 1000, k) for k, v in cumulative.items()),
        key=lambda row: -row[0],
    )[:top]
    ranked = sorted(((median(v) / 1000, k) for k, v in packages.items()), key=lambda r: -r[0])
    return modules, ranked[:top], sum(v for v, _ in ranked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--runs", type=int, default=None, help="runs per target (default 15)")
    parser.add_argument("--importtime-runs", type=int, default=None)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument(
        "--layer",
        action="store_true",
        help="run the handlers on the layer `make build` built, with python3.12, as in Lambda",
    )
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 15)
    it_runs = args.importtime_runs or (1 if args.quick else 3)
    os.chdir(ROOT)
    started = time.perf_counter()

    from switchboard.cli import EVENTS_API_KEY
    from switchboard.local.platform import DEV_KEY_ENV, Platform

    os.environ[DEV_KEY_ENV] = EVENTS_API_KEY
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    interpreter, layer_env = lambda_layer() if args.layer else (PY, {})
    platform = Platform.start(args.template, run_workers=False)
    try:
        env = dict(os.environ) | layer_env
        functions = targets_from_template(args.template, interpreter)
        bare = Target("bare python", [interpreter, "-c", BARE])
        everything = [bare, *functions]
        print(
            f"Cold start: {runs} runs each, interleaved; {interpreter} "
            + (f"with the built layer {layer_env['PYTHONPATH']}" if layer_env else "(the venv)")
            + f", emulated AWS at {platform.emulator.endpoint}"
            + (" [quick]" if args.quick else ""),
            flush=True,
        )
        # One untimed round first: the page cache and .pyc files are then warm for all.
        for target in everything:
            run_once(target, env)
        for target in everything:
            target.wall.clear(), target.import_ms.clear(), target.event_ms.clear()
            target.ready_ms.clear(), target.served_ms.clear()
        deadline = time.monotonic() + 150
        for i in range(runs):
            order = everything[i % len(everything) :] + everything[: i % len(everything)]
            for target in order:
                run_once(target, env)
            if time.monotonic() > deadline:
                print(f"  (stopped after {i + 1} rounds: time budget)")
                break
        breakdowns = {t.name: [importtime(t, env) for _ in range(it_runs)] for t in functions}
    finally:
        platform.stop()

    bare_wall = median(bare.wall)
    bare_served = median(bare.served_ms)
    print()
    print(
        "Milliseconds. cold start = process spawned to first event served, as Lambda counts "
        "it (a Lambda process is not torn down after its event); bare python = spawned to its "
        "first statement run. wall = spawned to exit (includes interpreter teardown); import = "
        "in-process import of the handler module; first event = the handler serving one "
        "authenticated event (lazy imports, boto3 client, DynamoDB key read included)."
    )
    rows = [
        [
            "bare python",
            len(bare.wall),
            bare_served,
            percentile(bare.served_ms, 90),
            "-",
            "-",
            "-",
            "-",
            bare_wall,
            "-",
            "-",
            "-",
            "",
        ]
    ]
    for t in functions:
        rows.append(
            [
                t.name,
                len(t.wall),
                median(t.served_ms),
                percentile(t.served_ms, 90),
                median(t.import_ms),
                percentile(t.import_ms, 90),
                median(t.event_ms),
                percentile(t.event_ms, 90),
                median(t.wall),
                percentile(t.wall, 90),
                median(t.served_ms) - bare_served,
                percentile(t.served_ms, 90) - percentile(bare.served_ms, 90),
                ",".join(str(s) for s in sorted(t.statuses, key=str))
                + (f" ({t.failures} failed)" if t.failures else ""),
            ]
        )
    print(
        table(
            [
                "process",
                "n",
                "cold start p50",
                "cold start p90",
                "import p50",
                "import p90",
                "1st event p50",
                "1st event p90",
                "wall p50",
                "wall p90",
                "minus bare p50",
                "minus bare p90",
                "HTTP status",
            ],
            rows,
        )
    )

    print()
    for t in functions:
        target = TARGET_MS.get(t.name)
        if target is None or not t.wall:
            continue
        added = median(t.served_ms) - bare_served
        in_process = median(t.import_ms) + median(t.event_ms)
        print(
            f"Target for {t.name}: cold start at most {target:.0f} ms beyond bare Python. "
            f"Measured: {added:.0f} ms p50 (spawn to event served, minus bare python's spawn "
            f"to first statement; import + first event in-process: {in_process:.0f} ms) -> "
            f"{verdict(added <= target)}."
        )
    print(
        "(Lambda runs python3.12 on a slower vCPU: expect 1.5-2x there; the inference "
        "function is served by the Lambda Web Adapter + uvicorn in AWS, by Mangum here.)"
    )

    for t in functions:
        runs_ = breakdowns[t.name]
        for phase, title in (
            (0, "import of the handler module"),
            (1, "imports made while serving the first event"),
        ):
            modules, packages, total = summarize_importtime([r[phase] for r in runs_], 8)
            print()
            print(
                f"{t.name}: {title} (python -X importtime, median of {len(runs_)} runs; "
                f"indent = nesting depth):"
            )
            if not modules:
                print("  (none)")
                continue
            left = table(
                ["module (top 8 by cumulative)", "cumulative ms", "self ms"],
                [["  " * depth + name, cum, own] for cum, own, (depth, name) in modules],
            )
            print(left)
            print()
            print(
                table(
                    ["top-level package (top 8 by own time)", "self ms summed"],
                    [[name, ms_] for ms_, name in packages],
                )
            )
            print(
                f"  (all self times in this phase sum to about {total:.0f} ms "
                "under -X importtime, which slows imports a little)"
            )
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
