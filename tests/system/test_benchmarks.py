"""The benchmark scripts run and print their tables (their figures are read by people, not
asserted: timing here depends on whatever else the machine is doing)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import server_env

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("benchmarks")]


def run_quick(script: str, *more: str) -> str:
    """Run `benchmarks/<script> --quick`; its standard output (it must exit 0)."""
    result = subprocess.run(
        [sys.executable, f"benchmarks/{script}", "--quick", *more],
        cwd=ROOT,
        env=server_env(ORIGINAL_ENV),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("cold_start.py", ["InferenceFunction", "CatalogFunction", "Target for InferenceFunction"]),
        ("gateway_overhead.py", ["added latency p50", "throughput, stream, c=32", "DynamoDB"]),
    ],
)
def test_benchmark_smoke_run(script: str, expected: list[str]) -> None:
    stdout = run_quick(script)
    for text in expected:
        assert text in stdout
    assert " 200" in stdout or "errors" in stdout


def test_metering_overhead_names_both_revisions_and_their_dynamodb_calls() -> None:
    stdout = run_quick("metering_overhead.py", "--no-cold-start", "--in-a-row", "120")
    for text in ["DynamoDB calls/req", "TransactWriteItems/req", "added p50", "gw CPU ms/req"]:
        assert text in stdout
    # Each gateway says which revision it runs and where its switchboard package came from,
    # and its DynamoDB calls per request over the measured runs.
    gateways = ["after"]
    if "no 'before' gateway:" not in stdout:  # else the script has said why (no git history)
        gateways.insert(0, "before")
        assert "before: 665bf63" in stdout
        assert "after / before" in stdout and "Summary, authenticated chat request" in stdout
    assert "after: working tree" in stdout or "after: this tree" in stdout
    imported = re.findall(r"imports switchboard from (\S+)", stdout)  # in parts 1 and 2
    assert len(imported) == 2 * len(gateways) and len(set(imported)) == len(gateways)
    for name in gateways:
        assert re.search(
            rf"^{name}: \d+ DynamoDB calls over [1-9]\d* measured requests "
            r"\(\d+\.\d{4} per request\)",
            stdout,
            re.MULTILINE,
        ), name
        assert re.search(rf"^plain\s+1\s+{name}\s+\d+", stdout, re.MULTILINE), name
        # The platform as `make serve` runs it, and requests in a row through it.
        assert re.search(rf"^{name}\s+120\s+\d", stdout, re.MULTILINE), name
    assert "The platform as `make serve` runs it" in stdout
    assert re.search(r"^added p50 c=1\s+ms", stdout, re.MULTILINE)
    assert "-m switchboard.local.emulator_server" in stdout  # the emulator's own process
    assert re.search(r"calls per GET /v1/models\s+(\S+\s+)?1\.00", stdout)


def test_dynamodb_client_prints_both_clients_for_each_request_path_call() -> None:
    stdout = run_quick("dynamodb_client.py")
    for operation in ("UpdateItem", "TransactWriteItems", "GetItem", "PutItem"):
        assert re.search(rf"^{operation} +\d+\.\d+ms +\d+\.\d+ms +\d+\.\d+x$", stdout, re.M)


def test_video_jobs_prints_times_calls_per_job_and_no_video_bytes_through_the_api() -> None:
    stdout = run_quick("video_jobs.py")
    assert "3 concurrent jobs of local-video" in stdout and "'completed': 3" in stdout
    for service in ("dynamodb", "sqs", "s3", "stepfunctions"):
        assert re.search(rf"^{service} +\d+ +\d+\.\d+$", stdout, re.M), service
    assert re.search(r"^video bytes \(target 0\) +0 +0\.00$", stdout, re.M)


def test_batch_throughput_gives_lines_per_second_and_aws_calls_per_line() -> None:
    stdout = run_quick("batch_throughput.py")  # one batch of 50 lines, through the API
    assert re.search(r"^50\s+completed\s+50\s+0\s+\d", stdout, re.MULTILINE), stdout[-3000:]
    for text in [
        "BatchPollSeconds (the state machine's wait between reads of the batch): 1 s",
        "BatchLineConcurrency (line consumers running at once): 10",
        "lines/s",
        "dynamodb.BatchGetItem",
        "dynamodb.TransactWriteItems",
        "sqs.ReceiveMessage BatchLinesQueue",
        "stepfunctions.StartExecution",
    ]:
        assert text in stdout
    assert re.search(r"^  50 lines: \d+ calls, \d+\.\d\d per line", stdout, re.MULTILINE)
    assert re.search(r"^ReadBatch\s+[1-9]", stdout, re.MULTILINE)  # the state machine's reads


def test_retrieval_quality_prints_recall_and_mrr_for_each_model_and_ranker() -> None:
    stdout = run_quick("retrieval_quality.py")  # 12 documents, their questions, twice
    assert "12 documents" in stdout
    for model in ("local-e5-small", "local-embed"):
        for ranker in ("vector", "hybrid-rrf", "hybrid-weighted"):
            assert re.search(rf"^{model} +{ranker} +(\d\.\d{{3}} +){{4}}\d", stdout, re.M), (
                model,
                ranker,
            )
    # Then through the platform as it ships: every file ingested, each model and ranker.
    assert "Through the platform" in stdout and "uploaded 12 files" in stdout
    for model in ("local-e5-small", "local-embed"):
        assert f"{model}: 12 of 12 files completed (0 failed)" in stdout
        for ranker in ("auto", "hybrid"):
            row = rf"^{model} +{ranker} +(\d\.\d{{3}} +){{4}}\d+\.\d\d +\d+\.\d$"
            assert re.search(row, stdout, re.M), (model, ranker)
