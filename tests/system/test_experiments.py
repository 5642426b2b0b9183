"""An experiment run on the platform as `make serve` runs it: ExperimentsFunction starts the
batch, the template's state machine and workers run its lines, and the batch steps
function's finalize step scores them (the container's hook), until GET .../runs/{id} says
completed; the experiment then shows both variants' counts and score means. Joined chat
calls and a score through the API add to the same aggregates."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def until_done(api: httpx.Client, path: str, within: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        run = api.get(path).json()
        if run["status"] in ("completed", "failed"):
            return dict(run)
        time.sleep(0.5)
    raise AssertionError(f"{path} still {run['status']} after {within} s: {run}")


def test_a_run_and_joined_calls_fill_an_experiment(server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:
        api.post("/prompts", json={"slug": "system-run"})
        version = {"text": "Name {{thing}}.", "model": {"model": "local-chat"}}
        number = api.post("/prompts/system-run/versions", json=version).json()["version"]
        made = api.post("/monitor/experiments", json={"featureSlug": "naming", "name": "Run"})
        assert made.status_code == 201, made.text
        experiment = made.json()["id"]
        body = {
            "dataset": [{"variables": {"thing": "a"}, "idealOutput": "Name a."},
                        {"variables": {"thing": "b"}, "idealOutput": "zzz"}],
            "variants": [{"prompt": {"slug": "system-run", "version": number}},
                         {"model": "fake-chat"}],
            "evaluators": [{"type": "contains"}, {"type": "json_valid"},
                           {"type": "llm_judge", "model": "fake-grader", "rubric": "Short?"}],
        }  # fmt: skip
        started = api.post(f"/monitor/experiments/{experiment}/runs", json=body)
        assert started.status_code == 201, started.text
        run = started.json()
        assert run["status"] == "running" and run["progress"] == {"done": 0, "total": 4}
        assert api.get(f"/v1/batches/{run['batch_id']}").status_code == 200  # the caller's batch

        done = until_done(api, f"/monitor/experiments/{experiment}/runs/{run['id']}")
        assert done["status"] == "completed", done
        assert done["progress"] == {"done": 4, "total": 4} and done["scored"] == 4

        hello = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}
        joined = api.post("/v1/chat/completions", json=hello | {"experiment": {"id": experiment}})
        assert joined.status_code == 200, joined.text
        variants = {
            v["variant"]: v
            for v in api.get(f"/monitor/experiments/{experiment}").json()["variants"]
        }
    prompt = variants[f"prompt:system-run@{number}"]
    assert prompt["count"] == 2 and prompt["error_rate"] == 0.0
    assert prompt["scores"]["contains"] == {"count": 2, "mean": 0.5}
    assert prompt["scores"]["llm_judge"] == {"count": 2, "mean": 0.7}
    model = variants["model:fake-chat"]
    assert model["count"] == 2 and model["scores"]["json_valid"] == {"count": 2, "mean": 0.0}
    assert variants["model:local-chat"]["count"] == 1  # the joined chat call
