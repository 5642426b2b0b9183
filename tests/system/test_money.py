"""Money through `switchboard serve` over real HTTP: concurrent spending against a balance,
a client leaving a stream early, and the ledger checked in the server's emulator."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import boto3
import httpx
import pytest

from switchboard.adapters.aws.ledger import DynamoLedgerRepository
from switchboard.local.emulator import LOCAL_REGION
from switchboard.local.resources import local_name
from tests.support.ledger import ledger_state
from tests.support.server import RunningServer

pytestmark = pytest.mark.system
HELLO = [{"role": "user", "content": "Hello there"}]


def local_cost(prompt: int, completion: int) -> int:
    """local-chat: $0.10 in, $0.40 out per million tokens."""
    return -(-(prompt * 100_000 + completion * 400_000) // 1_000_000)


@pytest.fixture(scope="module")
def ledger(server: RunningServer) -> DynamoLedgerRepository:
    client = boto3.client(
        "dynamodb",
        endpoint_url=server.aws_endpoint,  # the server's emulator, not this process's
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return DynamoLedgerRepository(client, local_name("Table"))


def new_customer(server: RunningServer, credits_usd: str) -> tuple[str, str]:
    admin = {"Authorization": f"Bearer {server.api_key}"}
    email = f"money-{time.time_ns()}@example.com"
    user = httpx.post(
        f"{server.base_url}/admin/users",
        headers=admin,
        json={"email": email, "first_name": "M", "last_name": "C", "plan": "builder",
              "credits_usd": credits_usd},
    )  # fmt: skip
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    key = httpx.post(
        f"{server.base_url}/admin/users/{user_id}/apikeys",
        headers=admin,
        json={"name": "money test", "scopes": ["ai:gateway"]},
    )
    assert key.status_code == 201, key.text
    return user_id, key.json()["key"]


def test_concurrent_requests_never_overspend(
    server: RunningServer, ledger: DynamoLedgerRepository
) -> None:
    """40 simultaneous requests; the balance holds the worst case of only 6 at once."""
    hold = local_cost(8, 40)  # "Hello there" is 8 prompt tokens; max_tokens 40
    served_cost = local_cost(8, 14)  # the local model's reply is 14 tokens
    user_id, key = new_customer(server, f"0.{6 * hold:06d}")

    async def fire() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            body = {"model": "local-chat", "messages": HELLO, "max_tokens": 40}
            return await asyncio.gather(
                *(http.post("/v1/chat/completions", json=body) for _ in range(40))
            )

    responses = asyncio.run(fire())
    statuses = [r.status_code for r in responses]
    served = statuses.count(200)
    assert set(statuses) <= {200, 402}, statuses
    assert 6 <= served < 40
    for refused in (r for r in responses if r.status_code == 402):
        assert refused.json()["error"]["code"] == "insufficient_credits"
    usage = [r.json()["usage"] for r in responses if r.status_code == 200]
    assert all((u["prompt_tokens"], u["completion_tokens"]) == (8, 14) for u in usage)
    assert ledger_state(ledger, user_id)[0] == 6 * hold - served * served_cost


def test_a_client_leaving_a_stream_is_billed_for_what_was_produced(
    server: RunningServer, ledger: DynamoLedgerRepository
) -> None:
    user_id, key = new_customer(server, "1")
    body: dict[str, Any] = {"model": "slow-stream", "messages": HELLO, "stream": True}
    with (
        httpx.Client(base_url=server.base_url, timeout=30) as http,
        http.stream(
            "POST", "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
        ) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        received: list[str] = []
        for line in lines:
            if line.startswith("data: {"):
                received.append(line)
            if len(received) == 2:
                break  # leave: the connection closes with the stream unfinished
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kinds = sorted((e.entry_id, e.kind) for e in ledger.entries(user_id))
        if [kind for _, kind in kinds][-1] != "reserve":
            break
        time.sleep(0.1)
    kinds_only = [kind for _, kind in kinds]
    assert kinds_only == ["top_up", "reserve", "settle"], kinds_only
    settle = max(ledger.entries(user_id), key=lambda e: e.entry_id)
    spent = 1_000_000 - ledger_state(ledger, user_id)[0]
    # slow-stream costs $1 a million tokens both ways: at least the prompt and one token,
    # far less than the whole reply (11 tokens) or the hold (4096 output tokens).
    assert 8 + 1 <= spent < 8 + 11, (spent, settle.reason)


def test_the_sdk_pays_the_same_streamed_or_not(server: RunningServer) -> None:
    """Through the official SDK: the same request costs the same, streamed or not, and the
    price is the public one applied to the usage the SDK reports."""
    import openai

    costs, usages = [], []
    for stream in (False, True):
        user_id, key = new_customer(server, "1")  # an ai:gateway key
        with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=key, max_retries=0) as sdk:
            if stream:
                chunks = sdk.chat.completions.create(
                    model="fake-chat", messages=HELLO, stream=True,
                    stream_options={"include_usage": True},
                )  # fmt: skip
                usage = [c.usage for c in chunks if c.usage][-1]
            else:
                usage = sdk.chat.completions.create(model="fake-chat", messages=HELLO).usage
            assert usage is not None
            usages.append((usage.prompt_tokens, usage.completion_tokens))
        admin = {"Authorization": f"Bearer {server.api_key}"}
        user = httpx.get(f"{server.base_url}/admin/users/{user_id}", headers=admin).json()
        whole, micro = user["credits_usd"].split(".")
        costs.append(1_000_000 - (int(whole) * 1_000_000 + int(micro)))
    prompt, completion = usages[0]
    assert usages[0] == usages[1]
    assert costs[0] == costs[1] == -(-(prompt * 1_500_000 + completion * 2_000_000) // 1_000_000)
