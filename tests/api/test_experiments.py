"""Experiments through the platform's ASGI app: create and read one, its per-variant
aggregates from the trace counters, scores on traces summed per variant, and isolation
(another user's experiment or trace is 404 everywhere)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.trace_stats import Dimensions, bucket_of, bucket_upper_ms, request_counters
from switchboard.domain.traces import PromptRef, Trace, Usage, new_trace_id

pytestmark = pytest.mark.anyio


def assert_error(response: httpx.Response, status: int, param: str | None, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)


async def experiment(http: httpx.AsyncClient, name: str = "Tone") -> dict[str, Any]:
    response = await http.post(
        "/monitor/experiments", json={"featureSlug": "support", "name": name}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def traced(
    services: Container,
    user: User,
    *,
    experiment_id: str | None,
    latency_ms: int,
    prompt: PromptRef | None = None,
    model: str = "local-chat",
    cost: int = 100,
    error: bool = False,
) -> str:
    """A trace of `user`'s, with its counters, as a settled request leaves them."""
    started = datetime.now(UTC) - timedelta(seconds=5)
    trace = Trace(
        new_trace_id(), "chat.completions", started, user.user_id, user.user_id,
        ended_at=started + timedelta(milliseconds=latency_ms), model=model,
        status="error" if error else "success", usage=Usage(10, 5), cost_micro_usd=cost,
        latency_ms=latency_ms, prompt=prompt, experiment_id=experiment_id,
        error={"type": "upstream_error", "message": "x"} if error else None,
    )  # fmt: skip
    prompted = (prompt.slug, prompt.version) if prompt else None
    dims = Dimensions.of(started, model, None, prompted, experiment_id)
    counters = request_counters(latency_ms, (10, 5), cost, error=error)
    repo = services.trace_repo
    repo.record(repo.trace_writes(trace, counters, dims, expires_at=None))
    return trace.id


async def test_an_experiment_is_created_and_read_by_its_owner_alone(
    client: httpx.AsyncClient, new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    made = await experiment(client)
    assert made["object"] == "experiment" and made["id"].startswith("exp_")
    assert (made["featureSlug"], made["name"], made["description"]) == ("support", "Tone", None)
    read = await client.get(f"/monitor/experiments/{made['id']}")
    assert read.status_code == 200 and read.json()["variants"] == []
    async with connect(new_user()) as other:
        assert_error(
            await other.get(f"/monitor/experiments/{made['id']}"),
            404, "experiment", "experiment_not_found",
        )  # fmt: skip
    assert_error(
        await client.get("/monitor/experiments/exp_nope"), 404, "experiment", "experiment_not_found"
    )
    assert_error(
        await client.post("/monitor/experiments", json={"name": "x"}),
        400, "featureSlug", "invalid_value",
    )  # fmt: skip


async def test_variants_show_count_cost_latency_error_rate_and_score_means(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    user = new_user()
    async with connect(user) as http:
        exp = (await experiment(http))["id"]
        v1, v2 = PromptRef("reply", 1), PromptRef("reply", 2)
        first = [traced(services, user, experiment_id=exp, prompt=v1, latency_ms=ms)
                 for ms in (100, 100, 100, 1000)]  # fmt: skip
        second = traced(services, user, experiment_id=exp, prompt=v2, latency_ms=50, error=True)
        by_model = traced(services, user, experiment_id=exp, model="fake-chat", latency_ms=10)
        traced(services, user, experiment_id=None, latency_ms=10)  # joined nothing
        for trace_id, value in zip(first, (True, True, False, True), strict=True):
            scored = await http.post(f"/monitor/traces/{trace_id}/scores",
                                     json={"name": "correct", "value": value})  # fmt: skip
            assert scored.status_code == 201, scored.text
        await http.post(f"/monitor/traces/{first[0]}/scores",
                        json={"name": "quality", "value": 0.5, "comment": "meh"})  # fmt: skip
        await http.post(f"/monitor/traces/{first[1]}/scores",
                        json={"name": "quality", "value": 1, "source": "evaluator"})  # fmt: skip
        for tone in ("polite", "polite", "curt"):
            await http.post(
                f"/monitor/traces/{second}/scores", json={"name": "tone", "value": tone}
            )
        await http.post(f"/monitor/traces/{by_model}/scores", json={"name": "correct", "value": 0})
        body = (await http.get(f"/monitor/experiments/{exp}")).json()
    variants = {v["variant"]: v for v in body["variants"]}
    assert list(variants) == ["model:fake-chat", "prompt:reply@1", "prompt:reply@2"]
    one = variants["prompt:reply@1"]
    assert one["prompt"] == {"slug": "reply", "version": 1} and one["model"] is None
    assert (one["count"], one["cost_usd"], one["error_rate"]) == (4, "0.000400", 0.0)
    upper = {ms: bucket_upper_ms(bucket_of(ms)) for ms in (100, 1000)}  # exact to the bucket
    assert one["latency_ms"] == {"p50": upper[100], "p95": upper[1000]}
    assert one["scores"] == {
        "correct": {"count": 4, "mean": 0.75},
        "quality": {"count": 2, "mean": 0.75},
    }
    two = variants["prompt:reply@2"]
    assert (two["count"], two["error_rate"]) == (1, 1.0)
    assert two["scores"] == {"tone": {"count": 3, "categories": {"curt": 1, "polite": 2}}}
    model = variants["model:fake-chat"]
    assert model["model"] == "fake-chat" and model["prompt"] is None
    assert model["scores"] == {"correct": {"count": 1, "mean": 0.0}}


async def test_a_score_needs_a_trace_the_caller_may_see(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    owner, other = new_user(), new_user()
    trace_id = traced(services, owner, experiment_id=None, latency_ms=20)
    async with connect(other) as http:
        assert_error(
            await http.post(f"/monitor/traces/{trace_id}/scores", json={"name": "a", "value": 1}),
            404, "trace_id", "trace_not_found",
        )  # fmt: skip
    async with connect(owner) as http:
        response = await http.post(
            f"/monitor/traces/{trace_id}/scores",
            json={"name": "helpful", "value": "yes", "comment": "good", "source": "api"},
        )
        assert response.status_code == 201, response.text
        score = response.json()
        assert score["object"] == "score" and score["trace_id"] == trace_id
        assert (score["value"], score["comment"], score["experiment_id"]) == ("yes", "good", None)
        assert_error(
            await http.post(f"/monitor/traces/{trace_id}/scores", json={"name": "a", "value": [1]}),
            400, "value", "invalid_value",
        )  # fmt: skip
        assert_error(
            await http.post("/monitor/traces/tr_nope/scores", json={"name": "a", "value": 1}),
            404, "trace_id", "trace_not_found",
        )  # fmt: skip


async def test_a_run_starts_a_batch_of_the_callers_and_is_theirs_alone(
    new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    owner = new_user(plan="enterprise")
    async with connect(owner) as http:
        exp = (await experiment(http))["id"]
        body = {"dataset": [{"input": "one"}, {"input": "two"}],
                "variants": [{"model": "local-chat"}, {"model": "fake-chat"}],
                "evaluators": [{"type": "json_valid"}]}  # fmt: skip
        started = await http.post(f"/monitor/experiments/{exp}/runs", json=body)
        assert started.status_code == 201, started.text
        run = started.json()
        assert run["object"] == "experiment.run" and run["id"].startswith("run_")
        assert (run["status"], run["progress"]) == ("running", {"done": 0, "total": 4})
        assert run["evaluators"] == [{"type": "json_valid", "name": "json_valid"}]
        batch = (await http.get(f"/v1/batches/{run['batch_id']}")).json()
        assert batch["metadata"] == {"experiment_id": exp, "experiment_run": run["id"]}
        polled = await http.get(f"/monitor/experiments/{exp}/runs/{run['id']}")
        assert polled.status_code == 200 and polled.json()["progress"]["total"] == 4
        listed = (await http.get(f"/monitor/experiments/{exp}")).json()["runs"]
        assert [(r["id"], r["status"], r["batch_id"], r["total"]) for r in listed] == [
            (run["id"], "running", run["batch_id"], 4)
        ]
        assert_error(
            await http.post(f"/monitor/experiments/{exp}/runs", json=body | {"variants": []}),
            400, "variants", "invalid_value",
        )  # fmt: skip
    async with connect(new_user()) as other:
        assert_error(
            await other.get(f"/monitor/experiments/{exp}/runs/{run['id']}"),
            404, "experiment", "experiment_not_found",
        )  # fmt: skip
        assert_error(
            await other.post(f"/monitor/experiments/{exp}/runs", json=body),
            404, "experiment", "experiment_not_found",
        )  # fmt: skip
