"""An upstream's reply is untrusted input: usage that is missing, negative, garbage or beyond
the hold never moves money the wrong way, and no 5xx answer is ever billed.

Each case runs against the fake OpenAI-compatible upstream on loopback, whose model name
picks the misbehaviour (tests/support/fake_upstream.py), and asserts the status, the body
and the balance before and after, with the ledger's invariant.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.tokens import count_tokens
from tests.api.test_app_inference import new_app
from tests.support.fake_replies import IGNORED_LIMIT_TOKENS, REPLY
from tests.support.ledger import ledger_state, settle_item, window_tokens

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]
PROMPT = 8  # HELLO as Switchboard counts it: 3 to prime, 3 for the message, 2 words
START = 1_000_000


def cost(prompt: int, completion: int) -> int:
    """The misbehaving models' price (fake-chat's): $1.50 in, $2.00 out per million."""
    return -(-(prompt * 1_500_000 + completion * 2_000_000) // 1_000_000)


async def chat(http: httpx.AsyncClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status and body; for a stream, the usage chunk's usage as `usage`, the text as
    `content` and the last frame as `last`."""
    response = await http.post("/v1/chat/completions", json={"messages": HELLO} | body)
    if not body.get("stream") or response.status_code != 200:
        return response.status_code, response.json()
    frames = [json.loads(f[6:]) for f in response.text.split("\n\n") if f.startswith("data: {")]
    usage = next((f["usage"] for f in frames if f.get("usage")), None)
    content = "".join(c["delta"].get("content") or "" for f in frames for c in f.get("choices", []))
    return 200, {"usage": usage, "content": content, "last": frames[-1]}


STREAMED = pytest.mark.parametrize(
    "streamed", [False, True], ids=["whole", "streamed"]
)  # fmt: skip


@STREAMED
@pytest.mark.parametrize("model", ["usage-negative", "usage-missing", "usage-garbage"])
async def test_usage_that_is_not_usage_is_estimated_and_never_credits_the_payer(
    services: Container, new_user: Callable[..., User], connect: Any, model: str, streamed: bool
) -> None:
    user = new_user(balance_usd=1)
    stream = {"stream": True, "stream_options": {"include_usage": True}} if streamed else {}
    async with connect(user) as http:
        status, body = await chat(http, {"model": model} | stream)
    assert status == 200
    estimate = {"prompt_tokens": PROMPT, "completion_tokens": count_tokens(REPLY)}
    assert {k: body["usage"][k] for k in estimate} == estimate
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert balance == START - cost(PROMPT, count_tokens(REPLY)) < START
    assert kinds == ["top_up", "reserve", "settle"]


async def test_negative_embedding_usage_is_estimated(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await http.post(
            "/v1/embeddings", json={"model": "fake-embed-negative", "input": "three words here"}
        )
    assert response.status_code == 200
    assert response.json()["usage"]["prompt_tokens"] == count_tokens("three words here")
    balance, _ = ledger_state(services.ledger_repo, user.user_id)
    assert balance == START - 1  # 3 tokens at $0.02 per million: 1 micro-USD, rounded up


async def test_one_output_limit_is_held_and_sent(
    new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    """Given both, max_completion_tokens is the limit: held, capped, and alone sent."""
    user = new_user(balance_usd=1)
    tag = uuid.uuid4().hex
    body = {"model": "fake-chat", "max_completion_tokens": 3, "max_tokens": 4000, "user": tag}
    limits = {"max_completion_tokens": 60, "max_tokens": 3}  # 60 is the limit, above the cap
    async with connect(user) as http:
        app_id = await new_app(http, {"allowedModels": ["fake-chat"], "maxTokensPerRequest": 50})
        plain = await http.post("/v1/chat/completions", json={"messages": HELLO} | body)
        scoped = await http.post(f"/v1/{app_id}/chat/completions", json={"messages": HELLO} | body)
        over = await http.post(
            f"/v1/{app_id}/chat/completions",
            json={"model": "fake-chat", "messages": HELLO} | limits,
        )
    assert plain.status_code == scoped.status_code == 200
    assert plain.json()["usage"]["completion_tokens"] == 3
    sent = [r.body for r in upstream.state.received if (r.body or {}).get("user") == tag]
    assert len(sent) == 2
    for received in sent:
        assert received["max_completion_tokens"] == 3 and "max_tokens" not in received
    assert over.status_code == 400
    assert over.json()["error"]["code"] == "max_tokens_exceeded"


@STREAMED
@pytest.mark.parametrize("model", ["ignores-limit", "usage-absurd"])
async def test_usage_beyond_the_hold_is_billed_the_hold_and_recorded_as_a_loss(
    services: Container, new_user: Callable[..., User], connect: Any, model: str, streamed: bool
) -> None:
    user = new_user(balance_usd=1)
    stream = {"stream": True, "stream_options": {"include_usage": True}} if streamed else {}
    async with connect(user) as http:
        status, body = await chat(http, {"model": model, "max_tokens": 10} | stream)
    assert status == 200
    reported = body["usage"]["completion_tokens"]
    assert reported == (IGNORED_LIMIT_TOKENS if model == "ignores-limit" else 1_000_000)
    held = cost(PROMPT, 10)
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert balance == START - held
    assert kinds == ["top_up", "reserve", "settle"]
    settle = settle_item(services, user.user_id)
    prompt = body["usage"]["prompt_tokens"]
    assert int(settle["cost_micro_usd"]) == cost(prompt, reported)
    assert int(settle["unbilled_micro_usd"]) == cost(prompt, reported) - held
    assert window_tokens(services, user.user_id) == PROMPT + 10  # the hold's tokens, no more


@STREAMED
async def test_a_lone_surrogate_in_a_request_is_refused_before_anything_is_held(
    services: Container, new_user: Callable[..., User], connect: Any, streamed: bool
) -> None:
    user = new_user(balance_usd=1)
    messages = '[{"role": "user", "content": "a\\ud800b"}]'  # the escape, as JSON text
    raw = f'{{"model": "fake-chat", "stream": {json.dumps(streamed)}, "messages": {messages}}}'
    async with connect(user) as http:
        response = await http.post(
            "/v1/chat/completions", content=raw, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json" and "surrogate" in error["message"]
    assert ledger_state(services.ledger_repo, user.user_id) == (START, ["top_up"])


@STREAMED
async def test_a_lone_surrogate_in_a_reply_is_repaired_and_billed_once(
    services: Container, new_user: Callable[..., User], connect: Any, streamed: bool
) -> None:
    user = new_user(balance_usd=1)
    stream = {"stream": True} if streamed else {}
    async with connect(user) as http:
        status, body = await chat(http, {"model": "surrogate-reply"} | stream)
    assert status == 200
    content = body["content"] if streamed else body["choices"][0]["message"]["content"]
    assert content == "Broken \ufffd text"
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds == ["top_up", "reserve", "settle"] and balance < START


async def test_a_stream_answered_with_html_is_a_502_and_costs_nothing(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await http.post(
            "/v1/chat/completions",
            json={"model": "fail-garbage", "messages": HELLO, "stream": True},
        )
    assert response.status_code == 502
    assert response.json()["error"]["type"] == "upstream_error"
    assert "hunter2" not in response.text
    assert ledger_state(services.ledger_repo, user.user_id) == (
        START,
        ["top_up", "reserve", "release"],
    )


async def test_an_embedding_answer_of_an_unknown_shape_is_a_502_and_costs_nothing(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    """moto's bedrock-runtime answers `{}`: on the local platform this was a KeyError, 500."""
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await http.post(
            "/v1/embeddings", json={"model": "fake-bedrock-embed-empty", "input": "hi"}
        )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"
    assert ledger_state(services.ledger_repo, user.user_id) == (
        START,
        ["top_up", "reserve", "release"],
    )
