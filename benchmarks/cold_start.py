"""Cold start of each function in template.yaml: a fresh Python process imports the handler
module (functions/<x>/app.py, as switchboard.local.functions.load_handler does) and serves one
authenticated event from events/<x>/, side by side with a bare `python -c pass`, interleaved.
Prints figures; asserts none.

    .venv/bin/python benchmarks/cold_start.py            # 15 runs each (~1 minute)
    .venv/bin/python benchmarks/cold_start.py --quick    # 3 runs each (smoke)

Children read and write bytecode under a scratch folder (PYTHONPYCACHEPREFIX), whatever the
shell says (PYTHONDONTWRITEBYTECODE would have every cold start compile switchboard's modules
from source, about 40 ms, which Lambda never does: the layer ships its bytecode, see
`make compile-layer`); `--source` keeps the shell's setting, for comparison.

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
import tempfile
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

    def clear_timings(self) -> None:
        for timings in (self.wall, self.import_ms, self.event_ms, self.ready_ms, self.served_ms):
            timings.clear()


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
    args = parse_args()
    os.chdir(ROOT)
    started = time.perf_counter()
    bare, functions, breakdowns = measure(args)
    print()
    print_cold_starts(bare, functions)
    print()
    print_targets(bare, functions)
    for t in functions:
        print_breakdown(t.name, breakdowns[t.name])
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


def parse_args() -> argparse.Namespace:
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
    parser.add_argument(
        "--source",
        action="store_true",
        help="keep the shell's PYTHONDONTWRITEBYTECODE (if set, modules compile at each start)",
    )
    args = parser.parse_args()
    args.runs = args.runs or (3 if args.quick else 15)
    args.importtime_runs = args.importtime_runs or (1 if args.quick else 3)
    return args


Breakdowns = dict[str, list[tuple[dict[str, list[int]], ...]]]


def measure(args: argparse.Namespace) -> tuple[Target, list[Target], Breakdowns]:
    """Every function's cold starts, interleaved with bare python's, against emulated AWS
    started here with the events' key; then each function's `-X importtime` breakdowns."""
    from switchboard.bootstrap import container
    from switchboard.cli import EVENTS_API_KEY
    from switchboard.local.platform import Platform

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    interpreter, layer_env = lambda_layer() if args.layer else (PY, {})
    platform = Platform.start(args.template, run_workers=False, dev_key=EVENTS_API_KEY)
    try:
        # Each function process gets the environment its template gives it, as in Lambda.
        env = dict(os.environ) | container().settings.as_environment() | layer_env
        if not args.source:
            env = with_bytecode(env)
        functions = targets_from_template(args.template, interpreter)
        bare = Target("bare python", [interpreter, "-c", BARE])
        print_banner(args, interpreter, layer_env, platform.emulator.endpoint)
        run_rounds([bare, *functions], env, args.runs)
        breakdowns = {
            t.name: [importtime(t, env) for _ in range(args.importtime_runs)] for t in functions
        }
    finally:
        platform.stop()
    return bare, functions, breakdowns


def with_bytecode(env: dict[str, str]) -> dict[str, str]:
    """The environment, with bytecode written on the first (untimed) round and read after it,
    in a folder of its own rather than the checkout's."""
    cache = Path(tempfile.gettempdir()) / "switchboard-cold-start-pycache"
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(cache)}


def print_banner(
    args: argparse.Namespace, interpreter: str, layer_env: dict[str, str], endpoint: str
) -> None:
    print(
        f"Cold start: {args.runs} runs each, interleaved; {interpreter} "
        + (f"with the built layer {layer_env['PYTHONPATH']}" if layer_env else "(the venv)")
        + f", emulated AWS at {endpoint}"
        + (", bytecode as the shell has it" if args.source else ", bytecode cached")
        + (" [quick]" if args.quick else ""),
        flush=True,
    )


def run_rounds(everything: list[Target], env: dict[str, str], runs: int) -> None:
    """One untimed round first (the page cache and .pyc files are then warm for all), then
    `runs` rounds, each starting one target later, within a time budget."""
    for target in everything:
        run_once(target, env)
    for target in everything:
        target.clear_timings()
    deadline = time.monotonic() + 150
    for i in range(runs):
        order = everything[i % len(everything) :] + everything[: i % len(everything)]
        for target in order:
            run_once(target, env)
        if time.monotonic() > deadline:
            print(f"  (stopped after {i + 1} rounds: time budget)")
            break


FIGURES = ("cold start", "import", "1st event", "wall", "minus bare")
COLUMNS = ["process", "n", *(f"{f} {p}" for f in FIGURES for p in ("p50", "p90")), "HTTP status"]


def print_cold_starts(bare: Target, functions: list[Target]) -> None:
    print(
        "Milliseconds. cold start = process spawned to first event served, as Lambda counts "
        "it (a Lambda process is not torn down after its event); bare python = spawned to its "
        "first statement run. wall = spawned to exit (includes interpreter teardown); import = "
        "in-process import of the handler module; first event = the handler serving one "
        "authenticated event (lazy imports, boto3 client, DynamoDB key read included)."
    )
    served, served_p90 = median(bare.served_ms), percentile(bare.served_ms, 90)
    bare_row = ["bare python", len(bare.wall), served, served_p90, *["-"] * 4, median(bare.wall)]
    rows = [[*bare_row, "-", "-", "-", ""]]
    rows += [function_row(t, served, served_p90) for t in functions]
    print(table(COLUMNS, rows))


def function_row(t: Target, bare_served: float, bare_served_p90: float) -> list[object]:
    figures: list[object] = []
    for values in (t.served_ms, t.import_ms, t.event_ms, t.wall):
        figures += [median(values), percentile(values, 90)]
    added = [median(t.served_ms) - bare_served, percentile(t.served_ms, 90) - bare_served_p90]
    statuses = ",".join(str(s) for s in sorted(t.statuses, key=str))
    failed = f" ({t.failures} failed)" if t.failures else ""
    return [t.name, len(t.wall), *figures, *added, statuses + failed]


def print_targets(bare: Target, functions: list[Target]) -> None:
    bare_served = median(bare.served_ms)
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


PHASES = ((0, "import of the handler module"), (1, "imports made while serving the first event"))


def print_breakdown(name: str, runs: list[tuple[dict[str, list[int]], ...]]) -> None:
    for phase, title in PHASES:
        modules, packages, total = summarize_importtime([r[phase] for r in runs], 8)
        print()
        print(
            f"{name}: {title} (python -X importtime, median of {len(runs)} runs; "
            f"indent = nesting depth):"
        )
        if not modules:
            print("  (none)")
            continue
        print(
            table(
                ["module (top 8 by cumulative)", "cumulative ms", "self ms"],
                [["  " * depth + module, cum, own] for cum, own, (depth, module) in modules],
            )
        )
        print()
        print(
            table(
                ["top-level package (top 8 by own time)", "self ms summed"],
                [[package, ms] for ms, package in packages],
            )
        )
        print(
            f"  (all self times in this phase sum to about {total:.0f} ms "
            "under -X importtime, which slows imports a little)"
        )


if __name__ == "__main__":
    sys.exit(main())
