"""Kits through the platform's ASGI app: the list, runs billed at the kit's price, the
classifier's scores, limits, streaming, and the errors every route shares."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.money import format_usd
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
PRICES = {"text-gen": 400, "code-assist": 600, "summarizer": 500, "classifier": 300}
LIMITS = {"text-gen": 4096, "code-assist": 8192, "summarizer": 16384, "classifier": 2048}


def kit_cost(kit: str, total_tokens: int) -> int:
    """ceil(total x P / 1,000) micro-USD, P the kit's price per 1K tokens in micro-USD."""
    return -(-total_tokens * PRICES[kit] // 1000)


async def test_the_kits_are_listed_with_their_limits_and_prices(client: Any) -> None:
    response = await client.get("/v1/kits")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    listed = {kit["id"]: kit for kit in body["data"]}
    assert set(listed) == set(PRICES)
    assert listed["text-gen"]["price_per_1k_tokens_usd"] == "0.0004"
    assert listed["classifier"]["price_per_1k_tokens_usd"] == "0.0003"
    assert {k: v["max_tokens"] for k, v in listed.items()} == LIMITS
    assert all(kit["object"] == "kit" and kit["description"] for kit in body["data"])


@pytest.mark.parametrize("kit", sorted(PRICES))
async def test_each_kit_run_is_billed_its_exact_price(
    kit: str, services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    run = {"kit": kit, "input": {"prompt": "Please look at this", "context": "Some text."}}
    async with connect(user) as http:
        response = await http.post("/v1/kits/run", json=run)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"].startswith("run_") and body["kit"] == kit
    assert body["status"] == "completed"
    assert "Please look at this" in body["output"]["text"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    assert isinstance(body["latency_ms"], int) and body["latency_ms"] >= 0
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert balance == 1_000_000 - kit_cost(kit, usage["total_tokens"])
    assert kinds == ["top_up", "reserve", "settle"]
    assert usage["cost_usd"] == format_usd(1_000_000 - balance)  # what the ledger charged


async def test_the_classifier_labels_what_the_answer_names(client: Any) -> None:
    run = {"kit": "classifier", "input": {"prompt": "Absolutely negative experience."}}
    output = (await client.post("/v1/kits/run", json=run)).json()["output"]
    # The local model quotes the text: it names one label, which takes all the probability.
    assert output["label"] == "negative"
    assert output["scores"] == {"positive": 0.0, "negative": 1.0, "neutral": 0.0}


async def test_the_classifier_spreads_an_answer_that_names_no_label(client: Any) -> None:
    run = {
        "kit": "classifier",
        "input": {"prompt": "The parcel arrived on Tuesday."},
        "config": {"labels": ["billing", "shipping", "other"]},
    }
    output = (await client.post("/v1/kits/run", json=run)).json()["output"]
    assert output["label"] is None
    assert set(output["scores"]) == {"billing", "shipping", "other"}
    assert sum(output["scores"].values()) == pytest.approx(1)
    assert max(output["scores"].values()) - min(output["scores"].values()) < 1e-5


async def test_a_run_over_the_kits_limit_is_a_400_naming_it(client: Any) -> None:
    run = {"kit": "classifier", "input": {"prompt": "Hi"}, "config": {"max_tokens": 2049}}
    response = await client.post("/v1/kits/run", json=run)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "config.max_tokens" and "2048" in error["message"]


async def test_input_beyond_the_models_context_is_a_400_naming_it(client: Any) -> None:
    run = {"kit": "text-gen", "input": {"prompt": "word " * 33_000}}
    response = await client.post("/v1/kits/run", json=run)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded" and "32768" in error["message"]


async def test_an_unknown_kit_is_a_404(client: Any) -> None:
    response = await client.post("/v1/kits/run", json={"kit": "nope", "input": {"prompt": "x"}})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "kit_not_found"


async def test_a_malformed_run_is_a_400_never_a_422(client: Any) -> None:
    response = await client.post("/v1/kits/run", json={"kit": "text-gen", "input": {}})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_a_streamed_run_sends_the_text_then_the_usage(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    run = {"kit": "text-gen", "input": {"prompt": "Stream this please"}, "stream": True}
    async with connect(user) as http:
        response = await http.post("/v1/kits/run", json=run)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [line[6:] for line in response.text.split("\n\n") if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    events = [json.loads(frame) for frame in frames[:-1]]
    deltas, last = events[:-1], events[-1]
    assert deltas and all(e["object"] == "kit.run.delta" for e in deltas)
    assert all(e["status"] == "in_progress" and e["id"] == last["id"] for e in deltas)
    assert last["object"] == "kit.run" and last["status"] == "completed"
    assert "".join(e["output"]["text"] for e in deltas) == last["output"]["text"]
    assert "Stream this please" in last["output"]["text"]
    total = last["usage"]["total_tokens"]
    assert ledger_state(services.ledger_repo, user.user_id)[0] == 1_000_000 - kit_cost(
        "text-gen", total
    )
    assert last["usage"]["cost_usd"] == format_usd(kit_cost("text-gen", total))


async def test_a_run_the_balance_cannot_hold_is_a_402(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=0)
    services.accounts.add_credits(user.user_id, 100, "a hundred micro-USD")
    async with connect(user) as http:
        response = await http.post(
            "/v1/kits/run", json={"kit": "summarizer", "input": {"prompt": "Summarize"}}
        )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert ledger_state(services.ledger_repo, user.user_id) == (100, ["top_up", "top_up"])


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/kits"), ("POST", "/v1/kits/run"), ("GET", "/skills")]
)
async def test_kits_and_skills_need_a_key(open_client: Any, method: str, path: str) -> None:
    async with open_client() as http:
        response = await http.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


async def test_a_run_counts_its_tokens_in_the_rate_window(client: Any) -> None:
    response = await client.post("/v1/kits/run", json={"kit": "text-gen", "input": {"prompt": "x"}})
    assert response.status_code == 200
    assert response.headers["x-ratelimit-window"] == "60s"
    limit = int(response.headers["x-ratelimit-limit-tokens"])
    assert int(response.headers["x-ratelimit-remaining-tokens"]) < limit
