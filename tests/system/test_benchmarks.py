"""The benchmark scripts run and print their tables (their figures are read by people, not
asserted: timing here depends on whatever else the machine is doing)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import server_env

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("benchmarks")]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("cold_start.py", ["InferenceFunction", "CatalogFunction", "Target for InferenceFunction"]),
        ("gateway_overhead.py", ["added latency p50", "throughput, stream, c=32", "DynamoDB"]),
    ],
)
def test_benchmark_smoke_run(script: str, expected: list[str]) -> None:
    env = server_env(ORIGINAL_ENV)
    result = subprocess.run(
        [sys.executable, f"benchmarks/{script}", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for text in expected:
        assert text in result.stdout
    assert " 200" in result.stdout or "errors" in result.stdout
