"""`switchboard serve` logs one Powertools JSON line per request, naming the function that
served it, and uvicorn's own access log stays off."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import container
from tests.conftest import ROOT
from tests.support.server import RunningServer, start_run_sh

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def logged_line(server: RunningServer, marker: str, timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(server.output):
            if marker in line:
                parsed: dict[str, Any] = json.loads(line)
                return parsed
        time.sleep(0.02)
    raise AssertionError(f"no line with {marker!r} in:\n" + "".join(server.output[-20:]))


def test_each_request_is_one_json_line_and_uvicorn_logs_none(server: RunningServer) -> None:
    marker = f"trace-{uuid.uuid4().hex}"
    headers = {"x-client-request-id": marker, "Authorization": f"Bearer {server.api_key}"}
    response = httpx.get(f"{server.base_url}/v1/models", headers=headers)
    assert response.status_code == 200
    line = logged_line(server, marker)
    assert line["message"] == "GET /v1/models 200"
    assert line["service"] == "switchboard" and line["function_name"] == "CatalogFunction"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["user_id"] and server.api_key not in json.dumps(line)
    assert not any("HTTP/1.1" in output for output in server.output)  # uvicorn's access log


def test_under_the_web_adapter_the_line_has_the_adapters_request_id(
    platform: object, api_key: str
) -> None:
    """functions/inference/run.sh as the adapter starts it in Lambda (uvicorn at its default
    level, where its access log would show): our JSON line, with the request id from the
    request context the adapter forwards, and no uvicorn access line."""
    env = container().settings.as_environment() | {"AWS_LAMBDA_FUNCTION_NAME": "InferenceFunction"}
    process, port = start_run_sh(ROOT, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        response = _post_when_listening(
            f"http://127.0.0.1:{port}/v1/embeddings",
            json={"model": "local-embed", "input": "hello"},
            headers={
                "Authorization": f"Bearer {api_key}",
                "x-amzn-request-context": json.dumps({"requestId": "gw-request-1"}),
            },
        )
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert response.status_code == 200 and response.headers["x-request-id"] == "gw-request-1"
    [line] = [json.loads(text) for text in output.splitlines() if '"latency_ms"' in text]
    assert line["request_id"] == "gw-request-1" and line["route"] == "/v1/embeddings"
    assert line["status"] == 200 and line["service"] == "switchboard"
    assert "HTTP/1.1" not in output, output


def _post_when_listening(url: str, **kwargs: Any) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.post(url, timeout=10, **kwargs)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
