"""Chat completions that name a prompt (`prompt: {slug, version? or tag?, variables}`) or
join an experiment (`experiment: {id}`), through the platform's ASGI app with the
OpenAI-compatible upstream on loopback recording what it receives: the compiled messages
first, the prompt's model and parameters unless the request sets its own, neither field
upstream, 404 and 400 before anything is held, app prompts on the app route, and the trace
recording the prompt version and the experiment."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.trace_queries import TraceFilter
from switchboard.domain.traces import Trace
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
MODEL = {"model": "fake-chat", "parameters": {"temperature": 0.2, "max_tokens": 50}}
MORE = {"role": "user", "content": "And be brief."}


async def prompt(
    http: httpx.AsyncClient, slug: str = "greet", app_id: str | None = None, **version: Any
) -> None:
    query = f"?app_id={app_id}" if app_id else ""
    await http.post(f"/prompts{query}", json={"slug": slug})
    body = {"text": "Greet {{name}}.", "systemText": "You are kind.", "model": MODEL,
            "tag": "production"} | version  # fmt: skip
    response = await http.post(f"/prompts/{slug}/versions{query}", json=body)
    assert response.status_code == 201, response.text


def last_upstream_body(upstream: Any, count: int) -> dict[str, Any]:
    assert len(upstream.state.received) > count, "the upstream was not called"
    return dict(upstream.state.received[-1].body)


def latest_trace(services: Container, user: User) -> Trace:
    page = services.trace_repo.list_traces(TraceFilter(viewer=user.user_id), limit=1, cursor=None)
    assert page.traces, "no trace was recorded"
    found = services.trace_repo.get(page.traces[0].id, 0)
    assert found is not None
    return found


async def test_a_prompt_gives_the_messages_model_and_parameters_and_the_trace_its_version(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any], upstream: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        await prompt(http)
        count = len(upstream.state.received)
        request = {"prompt": {"slug": "greet", "variables": {"name": "Ada"}}, "messages": [MORE]}
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    sent = last_upstream_body(upstream, count)
    assert sent["messages"] == [
        {"role": "system", "content": "You are kind."},
        {"role": "user", "content": "Greet Ada."},
        MORE,
    ]
    assert sent["model"] == "fake-upstream-chat"
    assert (sent["temperature"], sent["max_tokens"]) == (0.2, 50)
    assert "prompt" not in sent and "experiment" not in sent
    trace = latest_trace(services, user)
    assert trace.prompt is not None and trace.to_dict()["prompt"] == {"slug": "greet", "version": 1}
    assert trace.model == "fake-chat"


async def test_streamed_and_with_the_requests_own_model_and_parameters(
    client: httpx.AsyncClient, upstream: Any
) -> None:
    await prompt(client)
    await prompt(client, text="Hello {{name}}!", tag="staging")
    count = len(upstream.state.received)
    request = {"prompt": {"slug": "greet", "tag": "staging", "variables": {"name": "Bo"}},
               "model": "fake-chat", "temperature": 1.0, "stream": True}  # fmt: skip
    async with client.stream("POST", "/v1/chat/completions", json=request) as response:
        assert response.status_code == 200
        text = "".join([chunk async for chunk in response.aiter_text()])
    assert text.rstrip().endswith("data: [DONE]")
    sent = last_upstream_body(upstream, count)
    assert sent["stream"] is True and sent["temperature"] == 1.0 and sent["max_tokens"] == 50
    assert [m["content"] for m in sent["messages"]] == ["You are kind.", "Hello Bo!"]
    assert "prompt" not in sent


async def test_an_unknown_prompt_or_a_missing_variable_holds_nothing(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any], upstream: Any
) -> None:
    user = new_user()
    async with connect(user) as http:
        await prompt(http)
        before = ledger_state(services.ledger_repo, user.user_id)
        count = len(upstream.state.received)
        unknown = await http.post("/v1/chat/completions", json={"prompt": {"slug": "nope"}})
        missing = await http.post(
            "/v1/chat/completions", json={"prompt": {"slug": "greet", "variables": {}}}
        )
        wrong = await http.post("/v1/chat/completions", json={"prompt": "greet"})
    assert unknown.status_code == 404, unknown.text
    assert (unknown.json()["error"]["param"], unknown.json()["error"]["code"]) == (
        "prompt.slug", "prompt_not_found",
    )  # fmt: skip
    assert missing.status_code == 400
    assert (missing.json()["error"]["param"], missing.json()["error"]["code"]) == (
        "prompt.variables.name", "missing_variable",
    )  # fmt: skip
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "prompt"
    assert ledger_state(services.ledger_repo, user.user_id) == before
    assert len(upstream.state.received) == count


async def test_the_app_route_reaches_the_apps_prompts(
    client: httpx.AsyncClient, upstream: Any
) -> None:
    app_id = (await client.post("/apps", json={"name": "prompted"})).json()["id"]
    await prompt(client, slug="welcome")  # the caller's own: not the app's
    await prompt(client, slug="welcome", app_id=app_id, text="App welcome to {{name}}.")
    count = len(upstream.state.received)
    request = {"prompt": {"slug": "welcome", "variables": {"name": "Cy"}}}
    response = await client.post(f"/v1/{app_id}/chat/completions", json=request)
    assert response.status_code == 200, response.text
    sent = last_upstream_body(upstream, count)
    assert sent["messages"][-1] == {"role": "user", "content": "App welcome to Cy."}
    assert sent["model"] == "fake-upstream-chat"
    only_own = await client.post(
        f"/v1/{app_id}/chat/completions", json={"prompt": {"slug": "greet", "variables": {}}}
    )
    assert only_own.status_code == 404


async def test_a_call_joins_an_experiment_of_its_callers_own(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    owner, other = new_user(), new_user()
    async with connect(owner) as http:
        made = await http.post("/monitor/experiments", json={"featureSlug": "f", "name": "n"})
        experiment_id = made.json()["id"]
        hello = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}
        joined = await http.post(
            "/v1/chat/completions", json=hello | {"experiment": {"id": experiment_id}}
        )
        assert joined.status_code == 200, joined.text
        assert latest_trace(services, owner).experiment_id == experiment_id
        variants = (await http.get(f"/monitor/experiments/{experiment_id}")).json()["variants"]
        assert [(v["variant"], v["count"]) for v in variants] == [("model:local-chat", 1)]
    async with connect(other) as http:
        before = ledger_state(services.ledger_repo, other.user_id)
        refused = await http.post(
            "/v1/chat/completions", json=hello | {"experiment": {"id": experiment_id}}
        )
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "experiment_not_found"
        assert ledger_state(services.ledger_repo, other.user_id) == before
        kit = {"kit": "classifier", "input": {"prompt": "x"}, "experiment": {"id": experiment_id}}
        refused_kit = await http.post("/v1/kits/run", json=kit)
        assert refused_kit.json()["error"]["code"] == "experiment_not_found"
        assert ledger_state(services.ledger_repo, other.user_id) == before
    async with connect(owner) as http:
        ran = await http.post("/v1/kits/run", json=kit)
        assert ran.status_code == 200, ran.text
        assert latest_trace(services, owner).experiment_id == experiment_id
    assert json.dumps(variants)  # the aggregates are plain JSON
