"""GET /v1/ai/requests through the platform's ASGI app: the caller's queued requests, oldest
first, a cursor page at a time, without answers; other users' never."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard.domain.accounts import User

pytestmark = pytest.mark.anyio
ASK = {"model": "fake-chat", "prompt": "Say hello", "max_tokens": 5}


async def test_queued_requests_page_round_trip(new_user: Callable[..., User], connect: Any) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        made = [(await http.post("/v1/ai", json=ASK)).json()["request_id"] for _ in range(3)]
        seen, after = [], None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"after": after} if after else {})
            page = (await http.get("/v1/ai/requests", params=params)).json()
            assert page["object"] == "list" and len(page["data"]) <= 2
            seen += page["data"]
            if not page["has_more"]:
                assert page["next_cursor"] is None
                break
            after = page["next_cursor"]
        bad = await http.get("/v1/ai/requests", params={"after": "%%"})
    assert [request["req_id"] for request in seen] == made
    assert all(request["status"] == "queued" and "response" not in request for request in seen)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "after"
    async with connect(new_user()) as other:
        assert (await other.get("/v1/ai/requests")).json()["data"] == []
