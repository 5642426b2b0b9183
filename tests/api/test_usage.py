"""A user's own usage through the platform's ASGI app: GET /v1/usage/entries (the ledger,
newest first, a cursor page at a time) and GET /v1/usage (totals from the counters each
settlement adds to, by day, model or app)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]
TODAY = datetime.now(UTC).date().isoformat()


async def chat(http: httpx.AsyncClient, path: str = "/v1/chat/completions") -> dict[str, Any]:
    body = {"model": "fake-chat", "messages": HELLO, "max_tokens": 20}
    response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_entries_show_each_charge_newest_first(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        answer = await chat(http)
        page = (await http.get("/v1/usage/entries")).json()
    assert (page["object"], page["has_more"], page["next_cursor"]) == ("list", False, None)
    assert [entry["type"] for entry in page["data"]] == ["settle", "reserve", "top_up"]
    settle = page["data"][0]
    usage = answer["usage"]
    assert settle["request_id"] and settle["model"] == "fake-chat" and settle["app_id"] is None
    assert settle["prompt_tokens"] == usage["prompt_tokens"]
    assert settle["total_tokens"] == usage["total_tokens"]
    reserve = page["data"][1]
    billed = -(int(reserve["amount"].replace(".", "")) + int(settle["amount"].replace(".", "")))
    assert settle["cost"] == f"0.{billed:06d}" and billed > 0
    assert page["data"][2]["amount"] == "1.000000" and page["data"][2]["cost"] == "0.000000"
    assert settle["created_at"] >= page["data"][2]["created_at"]


async def test_entries_pages_round_trip_with_the_cursor(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        for _ in range(3):
            await chat(http)
        everything = (await http.get("/v1/usage/entries?limit=100")).json()["data"]
        seen, after = [], None
        while True:
            query = f"?limit=2&after={after}" if after else "?limit=2"
            page = (await http.get("/v1/usage/entries" + query)).json()
            seen += page["data"]
            assert len(page["data"]) <= 2
            if not page["has_more"]:
                assert page["next_cursor"] is None
                break
            after = page["next_cursor"]
    assert len(everything) == 7  # the top-up, and a hold and a settlement per call
    assert [entry["id"] for entry in seen] == [entry["id"] for entry in everything]
    assert [entry["id"] for entry in seen] == sorted((e["id"] for e in seen), reverse=True)


@pytest.mark.parametrize("query", ["?after=nonsense!", "?limit=0", "?limit=101", "?limit=x"])
async def test_bad_pages_are_400(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get("/v1/usage/entries" + query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] in ("after", "limit")


async def test_entries_are_the_callers_own(new_user: Callable[..., User], connect: Any) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        await chat(http)
    async with connect(new_user(balance_usd=1)) as other:
        page = (await other.get("/v1/usage/entries")).json()
    assert [entry["type"] for entry in page["data"]] == ["top_up"]


async def test_totals_group_by_day_model_and_app(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    owner, caller = new_user(balance_usd=1), new_user(balance_usd=1)
    async with connect(owner) as http:
        app_id = (await http.post("/apps", json={"name": "usage"})).json()["id"]
        first = await chat(http)
        second = await chat(http, f"/v1/{app_id}/chat/completions")
        range_ = f"startDate={TODAY}&endDate={TODAY}"
        by_day = (await http.get(f"/v1/usage?{range_}")).json()
        by_model = (await http.get(f"/v1/usage?{range_}&groupBy=model")).json()
        by_app = (await http.get(f"/v1/usage?{range_}&groupBy=app")).json()
        entries = (await http.get("/v1/usage/entries")).json()["data"]
        app_usage = (await http.get(f"/v1/{app_id}/ai/usage?{range_}")).json()
    async with connect(caller) as http:
        nothing = (await http.get(f"/v1/usage?{range_}")).json()
    tokens = first["usage"]["total_tokens"] + second["usage"]["total_tokens"]
    charged = [e for e in entries if e["type"] == "settle"]
    cost = sum(int(e["cost"].replace(".", "")) for e in charged)
    assert by_day["groupBy"] == "day" and by_day["total_tokens"] == tokens
    assert by_day["total_requests"] == 2 and by_day["total_cost"] == f"0.{cost:06d}"
    assert by_day["data"] == [{"date": TODAY, **{k: by_day[f"total_{k}"] for k in (
        "tokens", "prompt_tokens", "completion_tokens", "cost", "requests")}}]  # fmt: skip
    assert [row["model"] for row in by_model["data"]] == ["fake-chat"]
    assert [(row["app_id"], row["requests"]) for row in by_app["data"]] == [(app_id, 1), (None, 1)]
    assert by_app["data"][0]["cost"] == app_usage["totalCost"]
    assert nothing["total_requests"] == 0 and nothing["data"] == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("", "startDate"),
        (f"startDate={TODAY}", "endDate"),
        ("startDate=2026-02-30&endDate=2026-03-01", "startDate"),
        ("startDate=2026-03-02&endDate=2026-03-01", "endDate"),
        ("startDate=2024-01-01&endDate=2026-01-01", "endDate"),
        (f"startDate={TODAY}&endDate={TODAY}&groupBy=week", "groupBy"),
    ],
)
async def test_bad_ranges_are_400(client: httpx.AsyncClient, query: str, param: str) -> None:
    response = await client.get(f"/v1/usage?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


async def test_usage_needs_a_key(open_client: Any) -> None:
    async with open_client() as http:
        assert (await http.get("/v1/usage/entries")).status_code == 401
        assert (await http.get(f"/v1/usage?startDate={TODAY}&endDate={TODAY}")).status_code == 401
