"""The local models under load, through the platform's app: a big embedding computes off the
event loop, and a stream the client leaves stops and is billed for what it produced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from switchboard.adapters.providers.local import LocalProvider
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.local.platform import Platform
from tests.support.fake_upstream import serve_in_thread
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
CHOICES = 128


def local_provider(services: Container) -> LocalProvider:
    """The platform's own instance, whose pool and counters the tests watch."""
    provider = services.providers.get(services.catalog.get("local-chat").provider)
    assert isinstance(provider, LocalProvider)
    return provider


async def test_health_is_answered_while_a_big_embedding_computes(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    pool = local_provider(services).pool
    texts = [f"{number} " + "lorem ipsum dolor sit amet " * 520 for number in range(60)]  # 14 KB
    finished: list[str] = []
    async with connect(new_user(plan="enterprise")) as http:

        async def embed() -> None:
            response = await http.post(
                "/v1/embeddings", json={"model": "local-embed", "input": texts}
            )
            assert response.status_code == 200, response.text
            finished.append("embeddings")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(embed)
            for _ in range(10_000):  # until it computes in a worker thread (or has finished)
                if pool.running or finished:
                    break
                await anyio.sleep(0.001)
            health = await http.get("/health")
            finished.append("health")
    assert health.status_code == 200
    assert finished == ["health", "embeddings"]


async def test_a_stream_the_client_leaves_stops_and_is_billed_for_what_it_produced(
    services: Container, new_user: Callable[..., User], accounts: Any, platform: Platform
) -> None:
    """A real server: ASGITransport reads a whole response before it returns, so it cannot
    leave a stream early."""
    provider, chat = local_provider(services), services.catalog.get("local-chat")
    said = " ".join(f"word{number}" for number in range(3000))
    body: dict[str, Any] = {"model": "local-chat", "messages": [{"role": "user", "content": said}]}
    body |= {"n": CHOICES, "max_tokens": 4096, "stream": True}
    one = await LocalProvider().complete(
        ChatCompletionRequest.model_validate(body | {"n": 1}), chat
    )
    assert one.usage is not None
    full_cost = chat.cost_micro_usd(one.usage.prompt_tokens, CHOICES * one.usage.completion_tokens)
    user = new_user(plan="enterprise", balance_usd=10)
    key = accounts.issue_key(user, "test key").secret
    started = provider.choices_started

    with serve_in_thread(platform.app) as base_url:
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(base_url=base_url, headers=headers) as http,
            http.stream("POST", "/chat/completions", json=body) as response,
        ):
            assert response.status_code == 200
            frames = 0
            async for line in response.aiter_lines():
                frames += line.startswith("data: ")
                if frames == 50:
                    break  # and close the connection
        await settled(services, user)

    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds == ["top_up", "reserve", "settle"]
    charged = 10_000_000 - balance
    assert 0 < charged < full_cost // 4
    assert provider.choices_started - started < CHOICES // 4


async def settled(services: Container, user: User) -> None:
    """Wait for the server to settle the hold: it does when it sees the client gone."""
    for _ in range(3000):
        entries = sorted(services.ledger_repo.entries(user.user_id), key=lambda e: e.entry_id)
        if entries[-1].kind != "reserve":
            return
        await anyio.sleep(0.01)
    raise AssertionError("the hold was never settled")
