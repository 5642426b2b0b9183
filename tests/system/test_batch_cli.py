"""`switchboard batch` as a user runs it (a subprocess, SWITCHBOARD_BASE_URL and
SWITCHBOARD_API_KEY in its environment) against the platform as `make serve` runs it."""

from __future__ import annotations

import json
import re
import shlex
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import SWITCHBOARD, RunningServer, server_env
from tests.system.test_batches import requests_file

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def user_env(server: RunningServer, **extra: str) -> dict[str, str]:
    path = f"{SWITCHBOARD.parent}:{ORIGINAL_ENV.get('PATH', '')}"  # `switchboard` as installed
    user = {"SWITCHBOARD_BASE_URL": f"{server.base_url}/v1", "SWITCHBOARD_API_KEY": server.api_key}
    return server_env(ORIGINAL_ENV, **user | extra) | {"PATH": path}


def batch(
    server: RunningServer, *args: str, cwd: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SWITCHBOARD), "batch", *args], cwd=cwd, env=user_env(server, **extra),
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


def with_a_bad_line(path: Path, good: int) -> None:
    requests_file(path, good)
    body = {"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}
    bad = {"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions", "body": body}
    with path.open("a") as out:
        out.write(json.dumps(bad) + "\n")


def test_the_readmes_submit_example_follows_the_batch_and_downloads_its_files(
    server: RunningServer, tmp_path: Path
) -> None:
    [example] = [
        code for code in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
        if code.startswith("switchboard batch submit")
    ]  # fmt: skip
    with_a_bad_line(tmp_path / "requests.jsonl", 4)
    result = subprocess.run(
        ["bash", "-c", example], cwd=tmp_path, env=user_env(server), capture_output=True,
        text=True, timeout=90, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, cost, output, errors = result.stdout.splitlines()
    found = re.fullmatch(r"(batch_\w+) completed in \d+s: 4 of 5 lines completed, 1 failed", first)
    assert found, result.stdout
    batch_id = found.group(1)
    assert f"output  {Path('requests.output.jsonl')} (4 lines)" == output
    assert f"errors  {Path('requests.errors.jsonl')} (1 line)" == errors
    assert (
        "uploaded requests.jsonl" in result.stderr
        and f"batch {batch_id} validating" in result.stderr
    )
    assert re.search(r"^completed +\[#{20}\]  5/5 lines \(1 failed\)", result.stderr, re.M)

    answers = [json.loads(line) for line in (tmp_path / "requests.output.jsonl").open()]
    assert [a["custom_id"] for a in answers] == ["request-1", "request-2", "request-3", "request-4"]
    assert "Question number 3" in answers[2]["response"]["body"]["choices"][0]["message"]["content"]
    [failure] = [json.loads(line) for line in (tmp_path / "requests.errors.jsonl").open()]
    assert (failure["custom_id"], failure["error"]["code"]) == ("bad", "model_not_found")

    shown = batch(server, "show", batch_id, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "requests        5 total, 4 completed, 1 failed" in shown.stdout
    assert "metadata        job=nightly" in shown.stdout and "completed_at" in shown.stdout
    raw = json.loads(batch(server, "show", batch_id, "--json", cwd=tmp_path).stdout)
    assert cost.startswith(f"cost ${raw['cost_usd']} for {raw['usage']['input_tokens']:,} input")
    listed = batch(server, "list", "--limit", "100", cwd=tmp_path).stdout.splitlines()
    assert listed[0].split()[0] == "ID"
    assert [row.split()[1:4] for row in listed if row.startswith(batch_id)] == [
        ["completed", "/v1/chat/completions", "4/1/5"]
    ]


def test_ctrl_c_stops_following_without_cancelling_and_show_wait_takes_over(
    server: RunningServer, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    requests_file(tmp_path / "in" / "many.jsonl", 600)
    command = [
        str(SWITCHBOARD),
        "batch",
        "submit",
        "in/many.jsonl",
        "--wait",
        "--poll-seconds",
        "0.2",
    ]
    following = subprocess.Popen(
        command, cwd=tmp_path, env=user_env(server), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert following.stderr is not None
    seen = [following.stderr.readline() for _ in range(3)]  # uploaded, batch, a progress line
    following.send_signal(signal.SIGINT)
    stdout, rest = following.communicate(timeout=30)
    assert following.returncode == 130 and stdout == "", rest
    batch_id = re.search(r"batch (batch_\w+) validating", "".join(seen)).group(1)  # type: ignore[union-attr]
    resume = f"switchboard batch show {batch_id} --wait --out-dir in"
    assert rest.splitlines()[-1].endswith(f"(it goes on); to follow it again: {resume}"), rest

    running = json.loads(batch(server, "show", batch_id, "--json", cwd=tmp_path).stdout)
    assert running["status"] in ("validating", "in_progress")  # not cancelled by Ctrl-C
    cancelled = batch(server, "cancel", batch_id, cwd=tmp_path)
    assert cancelled.stdout == f"{batch_id} cancelling\n", cancelled.stderr

    resumed = batch(server, *shlex.split(resume)[2:], "--poll-seconds", "0.2", cwd=tmp_path)
    assert resumed.returncode == 4, resumed.stderr  # cancelled
    done = json.loads(batch(server, "show", batch_id, "--json", cwd=tmp_path).stdout)
    counts = done["request_counts"]
    assert done["status"] == "cancelled" and counts["completed"] + counts["failed"] < 600
    assert resumed.stdout.startswith(f"{batch_id} cancelled in ")
    if counts["completed"]:  # the lines that ran before the cancel, named after the input
        output = tmp_path / "in" / "many.output.jsonl"
        assert len(output.read_text().splitlines()) == counts["completed"]
        assert f"output  {Path('in/many.output.jsonl')}" in resumed.stdout


def test_errors_are_one_line_and_a_non_zero_exit(server: RunningServer, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port no one listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    cases = {
        ("list", "--base-url", closed): f"error: The platform is not reachable at {closed} (",
        ("list", "--api-key", "sb_wrong"): "(401 invalid_api_key)",
        ("show", "batch_nope"): "error: No batch found with id 'batch_nope'. (404",
        ("cancel", "batch_nope"): "(404",
        ("submit", "none.jsonl"): "error: No such file or directory (none.jsonl)",
    }
    (tmp_path / "broken.jsonl").write_text('{"custom_id": "a"}\nnot json\n')
    cases[("submit", "broken.jsonl", "--wait")] = "Line 2 of the file is not a JSON object"
    for args, message in cases.items():
        result = batch(server, *args, cwd=tmp_path)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and result.stdout == "", (args, result)
    unset = batch(server, "list", cwd=tmp_path, SWITCHBOARD_API_KEY="")
    assert (unset.returncode, unset.stderr) == (1, "error: No API key: set SWITCHBOARD_API_KEY "
                                                   "or pass --api-key.\n")  # fmt: skip


def test_via_upload_sends_the_file_to_storage_and_follows_its_batch(
    server: RunningServer, tmp_path: Path
) -> None:
    with_a_bad_line(tmp_path / "big.jsonl", 3)
    result = batch(server, "submit", "big.jsonl", "--via-upload", "--wait", "--poll-seconds",
                   "0.2", "--metadata", "via=upload", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"uploading big.jsonl \(\d+ bytes\) to storage as upload_\w+", result.stderr)
    assert "3 of 4 lines completed, 1 failed" in result.stdout
    assert len((tmp_path / "big.output.jsonl").read_text().splitlines()) == 3
    assert len((tmp_path / "big.errors.jsonl").read_text().splitlines()) == 1
