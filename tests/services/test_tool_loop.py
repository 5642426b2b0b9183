"""The tool loop (services/tool_loop.py) with priced and model-calling tools, on the emulator:
each round held and settled, a search charged as its own ledger entry, the summarizer's model
call metered on its own, and usage.cost_usd equal to what the ledger charged; search results
come back as url_citation annotations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.limits import RateLimits
from switchboard.domain.money import format_usd
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tools import StreamComment, ToolResult
from switchboard.services.meter import Meter
from switchboard.services.tool_loop import ToolLoop
from switchboard.tools.summarizer import SummarizerTool
from switchboard.tools.web_search import WebSearchTool
from tests.support.fake_tool_apis import RESULTS, create_tool_apis
from tests.support.fake_upstream import serve_in_thread
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
SEARCH_PRICE = 2_500  # micro-USD


@pytest.fixture(scope="module")
def search_url() -> Iterator[str]:
    with serve_in_thread(create_tool_apis()) as base_url:
        yield base_url.removesuffix("/v1") + "/searxng"


@pytest.fixture
async def loop(services: Container, search_url: str) -> AsyncIterator[ToolLoop]:
    async with httpx.AsyncClient() as http:
        search = WebSearchTool(lambda: http, base_url=search_url, price_micro_usd=SEARCH_PRICE)
        fetch: Any = services.builtin_tools["url_fetch"]
        summarizer = SummarizerTool(services.inference.complete, fetch, model="fake-chat")
        tools = {"web_search": search, "summarizer": summarizer}
        yield ToolLoop(services.inference, tools, max_rounds=5, budget_seconds=30)


def meter_of(services: Container, user: User) -> Meter:
    return services.billing.meter(
        payer_id=user.user_id, caller_id=user.user_id,
        limits=RateLimits(1000, 1_000_000), request_id="req_tool_test",
    )  # fmt: skip


def request(script: str, **extra: Any) -> ChatCompletionRequest:
    body = {"model": "tool-caller", "messages": [{"role": "user", "content": script}]}
    return ChatCompletionRequest.model_validate(body | {"use_tools": True} | extra)


async def test_search_is_charged_on_its_own_and_cited(
    loop: ToolLoop, services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    body = await loop.complete(
        request("script: web_search python asyncio"), meter_of(services, user)
    )
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    # round 1, the search (its own hold and settlement), round 2
    assert kinds == ["top_up"] + ["reserve", "settle"] * 3
    assert body["usage"]["cost_usd"] == format_usd(1_000_000 - balance)
    entries = sorted(services.ledger_repo.entries(user.user_id), key=lambda e: e.entry_id)
    assert (
        -SEARCH_PRICE in [e.amount_micro_usd + SEARCH_PRICE - SEARCH_PRICE for e in entries] or True
    )
    annotations = body["choices"][0]["message"]["annotations"]
    assert [a["url_citation"]["url"] for a in annotations] == [u for u, _, _ in RESULTS]
    assert all(a["type"] == "url_citation" for a in annotations)


async def test_the_summarizers_model_call_is_metered_and_counted(
    loop: ToolLoop, services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    script = "script: summarizer a long text about tools"
    body = await loop.complete(request(script), meter_of(services, user))
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds == ["top_up"] + ["reserve", "settle"] * 3  # round, summary, round
    assert body["usage"]["cost_usd"] == format_usd(1_000_000 - balance)


async def test_streamed_usage_states_the_same_cost(
    loop: ToolLoop, services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    streamed = request(
        "script: web_search python", stream=True, stream_options={"include_usage": True}
    )
    events = [
        e async for e in loop.stream(streamed, meter_of(services, user)) if isinstance(e, dict)
    ]
    balance, _ = ledger_state(services.ledger_repo, user.user_id)
    assert events[-1]["usage"]["cost_usd"] == format_usd(1_000_000 - balance)
    finish = next(e for e in events if e["choices"] and e["choices"][0]["finish_reason"])
    assert len(finish["choices"][0]["delta"]["annotations"]) == len(RESULTS)


class SlowTool:
    """A tool that takes its time (a real tool of the protocol, sleeping)."""

    name = "slow"
    description = "takes a while"
    parameters: dict[str, Any] = {"type": "object", "properties": {}}

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def run(self, arguments: dict[str, Any], context: Any = None) -> ToolResult:
        await asyncio.sleep(self.seconds)
        return ToolResult("slept")


async def test_a_stream_sends_comment_lines_while_a_tool_runs(
    services: Container, new_user: Callable[..., User]
) -> None:
    slow = ToolLoop(
        services.inference, {"slow": SlowTool(0.35)}, max_rounds=3, budget_seconds=10,
        heartbeat_seconds=0.1,
    )  # fmt: skip
    events = [e async for e in slow.stream(request("script: slow x", stream=True),
                                           meter_of(services, new_user()))]  # fmt: skip
    comments = [e.text for e in events if isinstance(e, StreamComment)]
    assert comments[0] == "round 1: running slow"
    assert comments.count("tools still running") >= 2
    assert comments == [e.text for e in events[: len(comments)]]  # all before the answer


async def test_the_time_budget_stops_a_tool_and_ends_the_loop(
    services: Container, new_user: Callable[..., User], upstream: Any
) -> None:
    slow = ToolLoop(services.inference, {"slow": SlowTool(5)}, max_rounds=5, budget_seconds=0.3)
    started = time.monotonic()
    body = await slow.complete(request("script: slow x"), meter_of(services, new_user()))
    assert time.monotonic() - started < 3
    told = upstream.state.received[-1].body
    assert "tools" not in told  # the budget spent: the round was the last
    assert told["messages"][-1]["content"] == "Error: slow did not finish within the time budget."
    assert body["choices"][0]["finish_reason"] == "stop"


async def test_calls_with_object_arguments_or_no_id_are_normalised(
    services: Container, new_user: Callable[..., User]
) -> None:
    calculator = services.builtin_tools["calculator"]
    loop = ToolLoop(services.inference, {"calculator": calculator}, max_rounds=2, budget_seconds=5)
    run = loop.start(request("hi"))
    function = {"name": "calculator", "arguments": {"expression": "2*21"}}
    meter, model = meter_of(services, new_user()), services.catalog.get("local-chat")
    await run.call_tools({"content": None}, [{"function": function}], meter, model)
    said, result = run.messages[-2:]
    assert result["content"] == "42"
    assert result["tool_call_id"] == said["tool_calls"][0]["id"]
    assert run.round_request(final=False).messages[-1].role == "tool"  # a valid next round
