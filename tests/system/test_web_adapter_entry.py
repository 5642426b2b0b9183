"""functions/inference/run.sh, the command the Lambda Web Adapter starts in AWS, serves the
same app and streams: chunks of a slow upstream arrive as they are produced."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from switchboard.bootstrap import container
from tests.conftest import ROOT
from tests.support.server import start_run_sh

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


@pytest.fixture
def adapter_app(platform: object) -> Iterator[str]:
    process, port = start_run_sh(
        ROOT,
        container().settings.as_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_port(port, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"run.sh exited: {process.stderr.read() if process.stderr else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("run.sh never listened")


def test_run_sh_streams_chat_completions(adapter_app: str, api_key: str) -> None:
    body = {"model": "slow-stream", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {api_key}"}
    arrivals: list[float] = []
    lines: list[str] = []
    started = time.monotonic()
    with httpx.stream(
        "POST", f"{adapter_app}/v1/chat/completions", json=body, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: {"):
                arrivals.append(time.monotonic() - started)
            if line:
                lines.append(line)
    assert len(arrivals) >= 3 and arrivals[-1] - arrivals[0] > 0.5
    assert lines[-1] == "data: [DONE]"
    health = httpx.get(f"{adapter_app}/health", timeout=5)
    assert health.status_code == 404  # /health is the catalog function's, not this one's
