"""Built-in tools (`use_tools`) through the platform's ASGI app: the tool loop with the local
model and with an OpenAI-compatible upstream that emits tool calls, streamed and not, metered
per round against the ledger."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.money import format_usd
from tests.support.ledger import ledger_state
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio


def ask(text: str, model: str = "local-chat", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]} | extra


def sse(text: str) -> tuple[list[str], list[Any]]:
    """The comment lines and the data events of an SSE body."""
    frames = [block for block in text.split("\n\n") if block.strip()]
    comments = [f[2:] for f in frames if f.startswith(": ")]
    data = [f.removeprefix("data: ") for f in frames if f.startswith("data: ")]
    assert len(comments) + len(data) == len(frames), frames
    return comments, data


async def test_local_model_calls_the_calculator_and_answers_from_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/chat/completions", json=ask("calculate 2+2", use_tools=True))
    assert response.status_code == 200, response.text
    body = response.json()
    assert_matches_spec(body, "CreateChatCompletionResponse")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == "The tool returned: 4"
    assert "tool_calls" not in choice["message"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["cost_usd"].count(".") == 1 and len(usage["cost_usd"].split(".")[1]) == 6


async def test_plain_completion_states_its_cost(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    user = new_user()
    before = ledger_state(services.ledger_repo, user.user_id)[0]
    async with connect(user) as http:
        body = (await http.post("/v1/chat/completions", json=ask("Hi", "fake-chat"))).json()
    after, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds[-2:] == ["reserve", "settle"]
    assert body["usage"]["cost_usd"] == format_usd(before - after)
    assert before > after


async def test_upstream_tool_rounds_are_metered_each_and_summed(
    services: Container,
    new_user: Callable[..., User],
    connect: Callable[..., Any],
    upstream: Any,
) -> None:
    user = new_user()
    before = ledger_state(services.ledger_repo, user.user_id)[0]
    request = ask("script: calculator 6*7 | calculator 2**10", "tool-caller", use_tools=True)
    async with connect(user) as http:
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    after, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds[-6:] == ["reserve", "settle"] * 3  # three rounds, each held and settled
    assert body["usage"]["cost_usd"] == format_usd(before - after)
    sent = [r.body for r in upstream.state.received[-3:]]
    assert all("use_tools" not in b for b in sent)
    assert [t["function"]["name"] for t in sent[0]["tools"]][:2] == ["calculator", "url_fetch"]
    results = [m["content"] for m in sent[-1]["messages"] if m["role"] == "tool"]
    assert results == ["42", "1024"]
    assert body["choices"][0]["finish_reason"] == "stop"


async def test_a_callers_own_tool_is_returned_to_the_caller(
    client: httpx.AsyncClient, upstream: Any
) -> None:
    own = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
    request = ask("script: calculator 1+2 | get_time now", "tool-caller", use_tools=True)
    response = await client.post("/v1/chat/completions", json=request | {"tools": [own]})
    body = response.json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert [c["function"]["name"] for c in choice["message"]["tool_calls"]] == ["get_time"]
    offered = [t["function"]["name"] for t in upstream.state.received[-1].body["tools"]]
    assert offered[:2] == ["get_time", "calculator"]


async def test_the_round_limit_stops_the_loop(client: httpx.AsyncClient, upstream: Any) -> None:
    count = len(upstream.state.received)
    request = ask("script: forever", "tool-caller", use_tools=True)
    body = (await client.post("/v1/chat/completions", json=request)).json()
    assert len(upstream.state.received) - count == 5  # TOOL_MAX_ROUNDS
    assert "tools" not in upstream.state.received[-1].body  # the last round offers none
    assert body["choices"][0]["finish_reason"] == "length"
    assert "limit" in body["choices"][0]["message"]["content"]


async def test_streamed_tool_rounds_send_comments_then_the_answer(
    services: Container, new_user: Callable[..., User], connect: Callable[..., Any]
) -> None:
    user = new_user()
    before = ledger_state(services.ledger_repo, user.user_id)[0]
    request = ask(
        "script: calculator 6*7", "tool-caller", use_tools=True, stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    async with connect(user) as http:
        response = await http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    comments, data = sse(response.text)
    assert comments and "calculator" in comments[0]
    assert response.text.index(": ") < response.text.index("data: ")
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    for chunk in chunks:
        assert_matches_spec(chunk, "CreateChatCompletionStreamResponse")
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert not any(c["choices"] and c["choices"][0]["delta"].get("tool_calls") for c in chunks)
    *content, last = chunks
    assert content[-1]["choices"][0]["finish_reason"] == "stop"
    after = ledger_state(services.ledger_repo, user.user_id)[0]
    assert last["choices"] == [] and last["usage"]["cost_usd"] == format_usd(before - after)


async def test_streamed_local_model_answers_from_the_tool(client: httpx.AsyncClient) -> None:
    request = ask("what is 15% of 80?", use_tools=["calculator"], stream=True)
    response = await client.post("/v1/chat/completions", json=request)
    comments, data = sse(response.text)
    assert len(comments) == 1
    text = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in map(json.loads, data[:-1])
    )
    assert text == "The tool returned: 12"


async def test_unknown_tool_names_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", json=ask("hi", use_tools=["nope"]))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "use_tools"


async def test_local_model_fetch_of_a_private_address_is_refused_in_its_answer(
    client: httpx.AsyncClient,
) -> None:
    request = ask("fetch http://169.254.169.254/latest/meta-data/", use_tools=True)
    body = (await client.post("/v1/chat/completions", json=request)).json()
    answer = body["choices"][0]["message"]["content"]
    assert answer.startswith("The tool returned: Error: The URL")
    assert "not a public address" in answer


@pytest.mark.parametrize(
    ("prompt", "said"),
    [
        ("search the web for switchboard", "Web search is not available"),
        ("what's the weather in Paris?", "Weather is not available"),
    ],
)
async def test_unconfigured_providers_are_told_to_the_model_not_failed(
    client: httpx.AsyncClient, prompt: str, said: str
) -> None:
    response = await client.post("/v1/chat/completions", json=ask(prompt, use_tools=True))
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"].startswith(
        "The tool returned: " + said
    )


async def test_a_skill_turns_its_tools_on(client: httpx.AsyncClient, upstream: Any) -> None:
    request = ask("script: web_search switchboard", "tool-caller", skill="web-analyst")
    body = (await client.post("/v1/chat/completions", json=request)).json()
    first, last = upstream.state.received[-2].body, upstream.state.received[-1].body
    assert [t["function"]["name"] for t in first["tools"]] == ["web_search", "url_fetch"]
    assert [m["role"] for m in last["messages"]][-1] == "tool"
    assert body["choices"][0]["finish_reason"] == "stop"
    plain = ask("script: web_search switchboard", "tool-caller", skill="web-analyst")
    await client.post("/v1/chat/completions", json=plain | {"use_tools": False})
    assert "tools" not in upstream.state.received[-1].body


async def test_tool_choice_may_name_a_built_in_tool(
    client: httpx.AsyncClient, upstream: Any
) -> None:
    forced = {"type": "function", "function": {"name": "calculator"}}
    request = ask("script: forever", "tool-caller", use_tools=True, tool_choice=forced)
    response = await client.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    assert upstream.state.received[-2].body["tool_choice"] == forced
    assert "tool_choice" not in upstream.state.received[-1].body  # the last round


async def test_streamed_callers_tool_and_round_limit(client: httpx.AsyncClient) -> None:
    own = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
    mixed = ask("script: calculator 1+2 | get_time now", "tool-caller", use_tools=True)
    response = await client.post(
        "/v1/chat/completions", json=mixed | {"tools": [own], "stream": True}
    )
    comments, data = sse(response.text)
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(comments) == 1 and data[-1] == "[DONE]"
    calls = chunks[0]["choices"][0]["delta"]["tool_calls"]
    assert [(c["index"], c["function"]["name"]) for c in calls] == [(0, "get_time")]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    forever = ask("script: forever", "tool-caller", use_tools=True, stream=True)
    comments, data = sse((await client.post("/v1/chat/completions", json=forever)).text)
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(comments) == 4  # rounds 1 to 4 ran tools; round 5 was the last
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert "limit" in chunks[0]["choices"][0]["delta"]["content"]
