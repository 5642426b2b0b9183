"""Credits through the platform's ASGI app: holds, exact settlement, 402s, failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from tests.support.ledger import ledger_state
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]


def cost(prompt: int, completion: int) -> int:
    """fake-chat: $1.50 in, $2.00 out per million tokens; micro-USD, rounded up once."""
    return -(-(prompt * 1_500_000 + completion * 2_000_000) // 1_000_000)


async def test_a_completion_is_billed_its_exact_cost(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await http.post(
            "/v1/chat/completions", json={"model": "fake-chat", "messages": HELLO}
        )
    assert response.status_code == 200
    usage = response.json()["usage"]
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert balance == 1_000_000 - cost(usage["prompt_tokens"], usage["completion_tokens"])
    assert kinds == ["top_up", "reserve", "settle"]


async def test_streamed_and_unstreamed_cost_the_same(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    plain, streamed = new_user(balance_usd=1), new_user(balance_usd=1)
    request = {"model": "fake-chat", "messages": HELLO, "max_tokens": 50}
    async with connect(plain) as http:
        assert (await http.post("/v1/chat/completions", json=request)).status_code == 200
    async with connect(streamed) as http:
        response = await http.post("/v1/chat/completions", json=request | {"stream": True})
        assert response.status_code == 200 and "[DONE]" in response.text
    assert (
        ledger_state(services.ledger_repo, plain.user_id)[0]
        == ledger_state(services.ledger_repo, streamed.user_id)[0]
        < 1_000_000
    )


async def test_insufficient_credits_is_a_402_with_the_figures(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=0)
    services.accounts.add_credits(user.user_id, 100, "a hundred micro-USD")
    async with connect(user) as http:
        response = await http.post(
            "/v1/chat/completions",
            json={"model": "fake-chat", "messages": HELLO, "max_tokens": 1000},
        )
    assert response.status_code == 402
    error = response.json()["error"]
    assert_matches_spec(response.json(), "ErrorResponse")
    assert error["type"] == "insufficient_tokens" and error["code"] == "insufficient_credits"
    prompt = 8  # "Hello there" as Switchboard estimates it (3 + 3 + 2)
    assert error["required_usd"] == f"0.{cost(prompt, 1000):06d}"
    assert error["available_usd"] == "0.000100"
    assert cost(prompt, error["max_affordable_tokens"]) <= 100
    assert cost(prompt, error["max_affordable_tokens"] + 1) > 100
    assert str(error["max_affordable_tokens"]) in error["message"]
    assert ledger_state(services.ledger_repo, user.user_id) == (100, ["top_up", "top_up"])


async def test_without_max_tokens_a_small_balance_is_served_what_it_affords(
    services: Container, new_user: Callable[..., User], connect: Any, upstream: Any
) -> None:
    user = new_user(balance_usd=0)
    services.accounts.add_credits(user.user_id, 30, "thirty micro-USD")
    async with connect(user) as http:
        response = await http.post(
            "/v1/chat/completions",
            json={"model": "fake-chat", "messages": HELLO, "user": "afford-test"},
        )
    assert response.status_code == 200, response.text
    received = reversed(upstream.state.received)
    sent = next(r.body for r in received if (r.body or {}).get("user") == "afford-test")
    assert sent["max_tokens"] == (30 - 12) // 2  # 8 prompt tokens cost 12; 2 per output token
    assert response.json()["choices"][0]["finish_reason"] == "length"
    # The upstream counts 10 prompt tokens where Switchboard estimated 8: the 3 micro-USD
    # above the hold are charged only as far as the balance goes, never below zero.
    assert ledger_state(services.ledger_repo, user.user_id)[0] == 0


async def test_a_failed_upstream_call_releases_the_hold(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await http.post(
            "/v1/chat/completions", json={"model": "fail-500", "messages": HELLO}
        )
    assert response.status_code == 502
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000,
        ["top_up", "reserve", "release"],
    )


async def test_embeddings_are_billed(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await http.post(
            "/v1/embeddings", json={"model": "fake-embed", "input": ["one", "two three"]}
        )
    assert response.status_code == 200
    prompt = response.json()["usage"]["prompt_tokens"]
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert balance == 1_000_000 - -(-prompt * 20_000 // 1_000_000)
    assert kinds == ["top_up", "reserve", "settle"]


async def test_a_stream_broken_midway_bills_what_was_produced(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    request = {"model": "fail-midstream", "messages": HELLO, "stream": True}
    async with connect(user) as http:
        response = await http.post("/v1/chat/completions", json=request)
    frames = [json.loads(f[6:]) for f in response.text.split("\n\n") if f.startswith("data: {")]
    assert "error" in frames[-1]
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds == ["top_up", "reserve", "settle"]
    assert 0 < 1_000_000 - balance < 1_000_000


async def test_the_hold_covers_every_choice(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    """n completions may each produce max_tokens: the hold is for all of them."""
    user = new_user(balance_usd=0)
    services.accounts.add_credits(user.user_id, 400, "four hundred micro-USD")
    request = {"model": "fake-chat", "messages": HELLO, "max_tokens": 100, "n": 3}
    async with connect(user) as http:
        refused = await http.post("/v1/chat/completions", json=request)
        served = await http.post("/v1/chat/completions", json=request | {"n": 1})
    assert refused.status_code == 402  # 3 x 100 tokens: $0.000612 > $0.000400
    error = refused.json()["error"]
    assert error["required_usd"] == f"0.{cost(8, 300):06d}"
    assert error["max_affordable_tokens"] == (400 - 12) // 2 // 3
    assert served.status_code == 200
    usage = served.json()["usage"]
    balance = ledger_state(services.ledger_repo, user.user_id)[0]
    assert balance == 400 - cost(usage["prompt_tokens"], usage["completion_tokens"])
