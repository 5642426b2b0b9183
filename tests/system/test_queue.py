"""The request queue on the platform as `make serve` runs it: the template's queue worker
answers in the background, the answer is polled until it is there."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def test_a_queued_request_is_answered_by_the_worker(server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        submitted = http.post(
            "/v1/ai", json={"model": "local-chat", "prompt": "Queue me", "system": "Be brief."}
        )
        assert submitted.status_code == 202, submitted.text
        location = submitted.headers["location"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            polled = http.get(location).json()
            if polled["status"] != "queued":
                break
            time.sleep(0.2)
    assert polled["status"] == "completed", polled
    assert "Queue me" in polled["response"] and polled["usage"]["total_tokens"] > 0
