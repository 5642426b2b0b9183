"""The file_search tool in chat completions, through the platform's ASGI app, with the
OpenAI-compatible upstream on loopback recording what it receives: the upstream gets the
retrieved chunks in one system message (and never the tool), the answer names them in
`message.sources` (a stream: on the finishing chunk), another user's store is 404 before
anything is held, and the search's query embedding is its own ledger entry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.file_search import INSTRUCTION, NOTHING_FOUND
from switchboard.domain.money import format_usd
from switchboard.domain.tokens import count_message_tokens
from tests.api.test_app_inference import new_app
from tests.support.ledger import ledger_state
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
EMBED = "local-embed"  # the stores' embedding model: offline, fast, priced
REFUNDS = "Refunds: annual plans are refunded in full within thirty days of purchase."
KITTENS = "Kittens sleep for most of the day and play with yarn at night."
SYSTEM = {"role": "system", "content": "Answer in one sentence."}
QUESTION = {"role": "user", "content": "Are annual plans refunded within thirty days?"}
STREAM = {"stream": True, "stream_options": {"include_usage": True}}


async def completed_store(
    http: httpx.AsyncClient, services: Container, model: str = EMBED, **files: str
) -> str:
    """A store of the caller's holding `files` (name: text), embedded with `model`, each
    ingested by the worker's own code (services/vector_files.py) and completed."""
    file_ids = []
    for name, text in files.items():
        sent = {"file": (name, text.encode(), "text/markdown")}
        uploaded = await http.post("/v1/files", data={"purpose": "assistants"}, files=sent)
        assert uploaded.status_code == 200, uploaded.text
        file_ids.append(uploaded.json()["id"])
    created = await http.post(
        "/v1/vector_stores", json={"name": "docs", "file_ids": file_ids, "embedding_model": model}
    )
    assert created.status_code == 200, created.text
    store_id = str(created.json()["id"])
    for file_id in file_ids:
        await services.vector_files.process({"vector_store_id": store_id, "file_id": file_id})
    store = (await http.get(f"/v1/vector_stores/{store_id}")).json()
    assert store["file_counts"]["completed"] == len(files), store
    return store_id


def file_search(*store_ids: str, **extra: Any) -> dict[str, Any]:
    return {"type": "file_search", "vector_store_ids": list(store_ids)} | extra


def ask(tag: str, tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A question to fake-chat, tagged (`user`) so the upstream's record of it can be found."""
    return {"model": "fake-chat", "messages": [SYSTEM, QUESTION], "tools": tools, "user": tag}


def received(upstream: Any, tag: str) -> list[dict[str, Any]]:
    return [r.body for r in upstream.state.received if (r.body or {}).get("user") == tag]


def frames(text: str) -> list[dict[str, Any]]:
    return [json.loads(f[6:]) for f in text.split("\n\n") if f.startswith("data: {")]


def assert_given_in_context(sent: dict[str, Any], *texts: str) -> str:
    """The upstream got the caller's system message, then the context naming `texts`, then
    the question; never the file_search tool."""
    messages = sent["messages"]
    assert messages[0] == SYSTEM and messages[-1] == QUESTION
    assert messages[1]["role"] == "system" and len(messages) == 3
    context = str(messages[1]["content"])
    for text in texts:
        assert text in context
    assert "file_search" not in json.dumps(sent.get("tools", []))
    return context


async def test_the_upstream_receives_the_chunks_and_the_answer_lists_them(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    user, tag = new_user(), uuid.uuid4().hex
    async with connect(user) as http:
        store_id = await completed_store(
            http, services, **{"refunds.md": REFUNDS, "kittens.md": KITTENS}
        )
        before = ledger_state(services.ledger_repo, user.user_id)
        response = await http.post("/v1/chat/completions", json=ask(tag, [file_search(store_id)]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert_matches_spec(body, "CreateChatCompletionResponse")
    (sent,) = received(upstream, tag)
    context = assert_given_in_context(sent, REFUNDS, KITTENS, INSTRUCTION)
    sources = body["choices"][0]["message"]["sources"]
    assert sorted(s["filename"] for s in sources) == ["kittens.md", "refunds.md"]
    for number, source in enumerate(sources, 1):
        assert set(source) == {"vector_store_id", "file_id", "filename", "score"}
        assert source["vector_store_id"] == store_id
        assert f"[{number}] {source['filename']}\n" in context
    assert [s["score"] for s in sources] == sorted((s["score"] for s in sources), reverse=True)
    after, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds[len(before[1]) :] == ["reserve", "settle"] * 2  # the search's, the answer's
    entries = sorted(services.ledger_repo.entries(user.user_id), key=lambda e: e.entry_id)
    new = entries[len(before[1]) :]
    assert [e.reason for e in new if e.kind == "reserve"] == [
        f"hold for {EMBED}",
        "hold for fake-chat",
    ]
    assert len({e.request_id for e in new}) == 1
    assert body["usage"]["cost_usd"] == format_usd(before[0] - after) != "0.000000"


async def test_a_stream_gives_the_sources_on_its_finishing_chunk(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    user, tag = new_user(), uuid.uuid4().hex
    async with connect(user) as http:
        store_id = await completed_store(http, services, **{"refunds.md": REFUNDS})
        before = ledger_state(services.ledger_repo, user.user_id)[0]
        request = ask(tag, [file_search(store_id, max_num_results=1)]) | STREAM
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    chunks = frames(response.text)
    finishing = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    (last,) = finishing
    (source,) = last["choices"][0]["delta"]["sources"]
    assert source["filename"] == "refunds.md" and source["vector_store_id"] == store_id
    others = [c for c in chunks if c is not last]
    assert not any("sources" in choice["delta"] for c in others for choice in c["choices"])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    spent = before - ledger_state(services.ledger_repo, user.user_id)[0]
    assert chunks[-1]["usage"]["cost_usd"] == format_usd(spent)
    (sent,) = received(upstream, tag)
    assert_given_in_context(sent, REFUNDS)


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
async def test_another_users_store_is_404_before_anything_is_held(
    services: Container, new_user: Callable[..., User], connect: Any, streamed: bool
) -> None:
    owner, other = new_user(), new_user()
    async with connect(owner) as http:
        theirs = await completed_store(http, services, **{"refunds.md": REFUNDS})
    before = ledger_state(services.ledger_repo, other.user_id)
    async with connect(other) as http:
        mine = (await http.post("/v1/vector_stores", json={"name": "mine"})).json()["id"]
        request = ask("x", [file_search(mine, theirs)]) | (STREAM if streamed else {})
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 404, response.text
    assert theirs in response.json()["error"]["message"]
    assert ledger_state(services.ledger_repo, other.user_id) == before


@pytest.mark.parametrize(
    ("tool", "param"),
    [
        ({"type": "file_search"}, "tools[0].vector_store_ids"),
        (file_search("vs_1", max_num_results=51), "tools[0].max_num_results"),
    ],
)
async def test_a_malformed_tool_is_400_before_anything_is_held(
    services: Container,
    new_user: Callable[..., User],
    connect: Any,
    tool: dict[str, Any],
    param: str,
) -> None:
    user = new_user()
    before = ledger_state(services.ledger_repo, user.user_id)
    async with connect(user) as http:
        response = await http.post("/v1/chat/completions", json=ask("x", [tool]))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert ledger_state(services.ledger_repo, user.user_id) == before


async def test_an_empty_store_says_nothing_was_found_and_the_model_still_answers(
    new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    tag = uuid.uuid4().hex
    async with connect(new_user()) as http:
        store_id = (await http.post("/v1/vector_stores", json={"name": "empty"})).json()["id"]
        response = await http.post("/v1/chat/completions", json=ask(tag, [file_search(store_id)]))
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["sources"] == []
    (sent,) = received(upstream, tag)
    assert assert_given_in_context(sent) == NOTHING_FOUND


async def test_the_callers_own_tools_still_reach_the_upstream(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    tag = uuid.uuid4().hex
    own = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
    async with connect(new_user()) as http:
        store_id = await completed_store(http, services, **{"refunds.md": REFUNDS})
        request = ask(tag, [file_search(store_id), own]) | {"tool_choice": "auto"}
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    (sent,) = received(upstream, tag)
    assert sent["tools"] == [own] and sent["tool_choice"] == "auto"


async def test_an_app_route_searches_its_callers_stores(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    tag = uuid.uuid4().hex
    async with connect(new_user()) as http:
        store_id = await completed_store(http, services, **{"refunds.md": REFUNDS})
        app_id = await new_app(http, {"defaultModel": "fake-chat", "allowedModels": ["fake-chat"]})
        request = ask(tag, [file_search(store_id)])
        del request["model"]
        whole = await http.post(f"/v1/{app_id}/chat/completions", json=request)
        streamed = await http.post(f"/v1/{app_id}/chat/completions", json=request | STREAM)
    assert whole.status_code == streamed.status_code == 200, whole.text
    assert whole.json()["choices"][0]["message"]["sources"][0]["filename"] == "refunds.md"
    finishing = [
        c for c in frames(streamed.text) if c["choices"] and c["choices"][0]["finish_reason"]
    ]
    assert finishing[0]["choices"][0]["delta"]["sources"][0]["file_id"].startswith("file")
    for sent in received(upstream, tag):
        assert_given_in_context(sent, REFUNDS)


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
async def test_with_built_in_tools_every_round_has_the_chunks(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any, streamed: bool
) -> None:
    tag = uuid.uuid4().hex
    async with connect(new_user()) as http:
        store_id = await completed_store(http, services, **{"refunds.md": REFUNDS})
        request = {
            "model": "tool-caller",
            "messages": [{"role": "user", "content": "script: calculator 6*7"}],
            "tools": [file_search(store_id)],
            "use_tools": True,
            "user": tag,
        } | (STREAM if streamed else {})
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    rounds = received(upstream, tag)
    assert len(rounds) == 2
    for sent in rounds:
        assert sent["messages"][0]["role"] == "system" and REFUNDS in sent["messages"][0]["content"]
        assert "file_search" not in json.dumps(sent.get("tools", []))
    if streamed:
        finishing = [
            c for c in frames(response.text) if c["choices"] and c["choices"][0]["finish_reason"]
        ]
        (source,) = finishing[-1]["choices"][0]["delta"]["sources"]
    else:
        (source,) = response.json()["choices"][0]["message"]["sources"]
    assert source["filename"] == "refunds.md"


async def test_stores_of_two_embedding_models_are_searched_each_and_charged_each(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    user, tag = new_user(), uuid.uuid4().hex
    async with connect(user) as http:
        hashed = await completed_store(http, services, **{"refunds.md": REFUNDS})
        e5 = await completed_store(http, services, "local-e5-small", **{"kittens.md": KITTENS})
        before = ledger_state(services.ledger_repo, user.user_id)
        response = await http.post("/v1/chat/completions", json=ask(tag, [file_search(e5, hashed)]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert {s["vector_store_id"] for s in body["choices"][0]["message"]["sources"]} == {hashed, e5}
    (sent,) = received(upstream, tag)
    assert_given_in_context(sent, REFUNDS, KITTENS)
    after, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds[len(before[1]) :] == ["reserve", "settle"] * 3  # e5's query, local-embed's, chat
    assert body["usage"]["cost_usd"] == format_usd(before[0] - after)


async def test_the_context_follows_a_skills_prompt_and_the_callers_system_message(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    tag = uuid.uuid4().hex
    async with connect(new_user()) as http:
        store_id = await completed_store(http, services, **{"refunds.md": REFUNDS})
        request = ask(tag, [file_search(store_id)]) | {"skill": "writer"}
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    (sent,) = received(upstream, tag)
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "system", "system", "user"]
    skill, own, context = (m["content"] for m in sent["messages"][:3])
    assert skill == services.kit_catalog.skill_for("writer").system_prompt
    assert own == SYSTEM["content"] and REFUNDS in context


async def test_only_the_chunks_that_fit_the_models_context_are_given_and_listed(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    """fake-chat holds 16,000 tokens; 50 chunks of 800 are more: the best that fit go."""
    tag = uuid.uuid4().hex
    long = " ".join(f"line {n} of the manual says to keep plans annual." for n in range(1200))
    async with connect(new_user(plan="builder")) as http:  # maker: 15,000 tokens a minute
        store_id = await completed_store(http, services, **{"manual.md": long})
        request = ask(tag, [file_search(store_id, max_num_results=50)]) | {"max_tokens": 500}
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    sources = response.json()["choices"][0]["message"]["sources"]
    (sent,) = received(upstream, tag)
    context = assert_given_in_context(sent)
    assert f"[{len(sources)}] manual.md" in context and f"[{len(sources) + 1}]" not in context
    assert 10 < len(sources) < 33  # the file has 33 chunks of up to 800 tokens
    assert count_message_tokens(sent["messages"]) <= 16_000 - 500  # as Switchboard counts
