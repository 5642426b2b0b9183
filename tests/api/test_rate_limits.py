"""Per-user rate limits through the platform's ASGI app: headers, 429s, shared counters."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from switchboard.domain.account_changes import NewUser
from switchboard.domain.accounts import User
from switchboard.domain.limits import RateLimits
from switchboard.services.accounts import AccountService

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.fixture
def limited_user(accounts: AccountService) -> Callable[[int, int], User]:
    def make(rpm: int, tpm: int) -> User:
        return accounts.create_user(
            NewUser(
                f"{uuid.uuid4().hex}@example.com", "Rate", "Limited",
                opening_balance_micro_usd=10_000_000, limits=RateLimits(rpm, tpm),
            )
        )  # fmt: skip

    return make


async def fresh_window() -> None:
    """Start well inside a minute, so that a test's requests share one window."""
    if time.time() % 60 > 50:
        await anyio.sleep(61 - time.time() % 60)


async def test_every_authenticated_response_carries_the_headers(client: httpx.AsyncClient) -> None:
    await fresh_window()
    first = await client.get("/v1/models")
    second = await client.get("/v1/models")
    assert first.headers["x-ratelimit-limit"] == "30"  # the maker plan
    assert first.headers["x-ratelimit-window"] == "60s"
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
    assert "x-ratelimit-limit" not in (await client.get("/v1/public/models")).headers


async def test_over_the_limit_is_429_with_retry_after(
    limited_user: Callable[[int, int], User], connect: Any
) -> None:
    await fresh_window()
    async with connect(limited_user(3, 100_000)) as http:
        statuses = [(await http.get("/v1/models")).status_code for _ in range(3)]
        refused = await http.get("/v1/models")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_exceeded", "rate_limit_exceeded")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining"] == "0"


async def test_refused_requests_count_too(
    limited_user: Callable[[int, int], User], connect: Any
) -> None:
    await fresh_window()
    async with connect(limited_user(5, 100_000)) as http:
        bad = await http.post("/v1/chat/completions", json={"model": "fake-chat"})
        unknown = await http.get("/v1/models/no-such-model")
        after = await http.get("/v1/models")
    assert (bad.status_code, unknown.status_code) == (400, 404)
    assert bad.headers["x-ratelimit-remaining"] == "4"
    assert after.headers["x-ratelimit-remaining"] == "2"


async def test_all_of_a_users_keys_share_the_limit(
    limited_user: Callable[[int, int], User], connect: Any
) -> None:
    await fresh_window()
    user = limited_user(2, 100_000)
    async with connect(user) as one, connect(user) as two:
        assert (await one.get("/v1/models")).status_code == 200
        assert (await two.get("/v1/models")).status_code == 200
        assert (await one.get("/v1/models")).status_code == 429


async def test_tokens_per_minute_refuse_inference_only(
    limited_user: Callable[[int, int], User], connect: Any
) -> None:
    await fresh_window()
    request = {"model": "fake-chat", "messages": HELLO, "max_tokens": 100}
    async with connect(limited_user(100, 50)) as http:
        served = [await http.post("/v1/chat/completions", json=request) for _ in range(3)]
        refused = await http.post("/v1/chat/completions", json=request)
        models = await http.get("/v1/models")
    assert [r.status_code for r in served] == [200, 200, 200]  # 21 tokens each, once settled
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "tokens_rate_limit_exceeded"
    assert refused.headers["x-ratelimit-remaining-tokens"] == "0"
    assert models.status_code == 200


async def test_remaining_tokens_count_the_requests_own_hold(
    limited_user: Callable[[int, int], User], connect: Any
) -> None:
    """The hold (8 prompt tokens + max_tokens 100) is in the window when the answer says
    what remains; its settlement corrects it to the actual tokens for the next request."""
    await fresh_window()
    request = {"model": "fake-chat", "messages": HELLO, "max_tokens": 100}
    async with connect(limited_user(100, 10_000)) as http:
        first = await http.post("/v1/chat/completions", json=request)
        second = await http.post("/v1/chat/completions", json=request)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-ratelimit-remaining-tokens"] == str(10_000 - 108)
    used = first.json()["usage"]["total_tokens"]  # settled: the hold corrected to this
    assert second.headers["x-ratelimit-remaining-tokens"] == str(10_000 - used - 108)
