"""benchmarks/emulator_fast_path.py runs and prints its figures (read by people, not
asserted); it exits non-zero if a captured request is handed to moto."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_fast_path_benchmark_runs_its_captured_requests_on_the_fast_path() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/emulator_fast_path.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "TransactWriteItems (7 items)" in result.stdout
