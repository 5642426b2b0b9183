"""functions/kits/run.sh, the command the Lambda Web Adapter starts for KitsFunction in AWS,
serves the kit routes and streams a run; the other functions' routes are not its own."""

from __future__ import annotations

import json
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
def kits_app(platform: object) -> Iterator[str]:
    process, port = start_run_sh(
        ROOT,
        container().settings.as_environment(),
        "kits",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_run_sh_serves_and_streams_kit_runs(kits_app: str, api_key: str) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    body = {"kit": "text-gen", "input": {"prompt": "Stream through the adapter"}, "stream": True}
    response = httpx.post(f"{kits_app}/v1/kits/run", json=body, headers=headers, timeout=30)
    assert response.status_code == 200
    frames = [line[6:] for line in response.text.split("\n\n") if line.startswith("data: ")]
    assert frames[-1] == "[DONE]" and len(frames) > 3
    assert json.loads(frames[-2])["status"] == "completed"
    assert httpx.get(f"{kits_app}/skills", headers=headers, timeout=10).status_code == 200
    chat = httpx.post(f"{kits_app}/v1/chat/completions", json={}, headers=headers, timeout=10)
    assert chat.status_code == 404  # the inference function's route, not this one's
