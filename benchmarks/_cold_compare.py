"""Part 4 of metering_overhead.py: each revision's own benchmarks/cold_start.py (the
before revision's from its `git archive`, with PYTHONPATH set to its layers/core), and on
the layer `make build` made when there is one; the inference function's figure of each."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from _gateway_processes import PY, ROOT, GatewayCode

LAYER = ROOT / ".aws-sam" / "build" / "CoreLayer" / "python"
MEASURED = re.compile(r"Target for InferenceFunction: .*?Measured: (\d+) ms p50")
Summary = dict[str, dict[str, float]]


def run_cold_starts(codes: dict[str, GatewayCode], quick: bool, summary: Summary) -> None:
    print(
        "\n4. Cold start of the inference function beyond bare Python (each revision's "
        "benchmarks/cold_start.py" + (", --quick)" if quick else ")"),
        flush=True,
    )
    for name, code in codes.items():
        runs: list[tuple[str, list[str]]] = [("venv", [])]
        if LAYER.is_dir() and code.core is None:
            runs.append(("layer", ["--layer"]))
        for where, extra in runs:
            found = _cold_start(code, [*(["--quick"] if quick else []), *extra])
            summary.setdefault(name, {})[f"cold start {where}"] = found
            print(f"  {name:6} {where:5}: {found:.0f} ms" if found == found else f"  {name}: -")
    if not LAYER.is_dir():
        print(f"  (no built layer at {LAYER.relative_to(ROOT)}: `make build` makes one)")


def _cold_start(code: GatewayCode, args: list[str]) -> float:
    root = code.core.parents[1] if code.core is not None else ROOT
    env = dict(os.environ)
    if code.core is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code.core), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [PY, str(Path(root) / "benchmarks" / "cold_start.py"), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    found = MEASURED.search(result.stdout)
    if result.returncode != 0 or found is None:
        print(f"  cold_start.py failed (exit {result.returncode}): {result.stderr[-800:]}")
        return float("nan")
    return float(found.group(1))
