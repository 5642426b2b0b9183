"""The queue worker's guarantees, against the emulator: a worker that dies between the model
call and the settlement leaves the request to be answered and billed once by a retry, and
deliveries racing each other settle once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.services.queue import QueueService
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
ASK = {"model": "fake-chat", "prompt": "Say hello", "max_tokens": 20}


class DiesAfterTheModelCall:
    """The real repository, but the process "dies" when it is about to store the answer."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def completed(self, *args: Any, **kwargs: Any) -> Any:
        raise SystemExit("the worker's process was killed")


def worker(services: Container, requests: Any) -> QueueService:
    return QueueService(
        requests, services.job_queue(services.settings.AI_REQUESTS_QUEUE_URL), services.blobs,
        services.catalog, services.inference, services.billing,
        ttl_seconds=services.queue.ttl_seconds,
    )  # fmt: skip


async def submitted(connect: Any, user: User) -> str:
    async with connect(user) as http:
        response = await http.post("/v1/ai", json=ASK)
    assert response.status_code == 202
    return str(response.json()["request_id"])


async def test_a_worker_killed_after_the_model_call_is_retried_and_bills_once(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    request_id = await submitted(connect, user)
    with pytest.raises(SystemExit):
        await worker(services, DiesAfterTheModelCall(services.queued_request_repo)).process(
            {"request_id": request_id}
        )
    assert ledger_state(services.ledger_repo, user.user_id)[1] == ["top_up", "reserve"]
    assert services.queued_request_repo.get(request_id).status.value == "queued"  # type: ignore[union-attr]
    await services.queue.process({"request_id": request_id})  # the message comes back
    assert ledger_state(services.ledger_repo, user.user_id)[1] == ["top_up", "reserve", "settle"]
    assert services.queued_request_repo.get(request_id).status.value == "completed"  # type: ignore[union-attr]


async def test_deliveries_racing_each_other_settle_once(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    request_id = await submitted(connect, user)
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(services.queue.process, {"request_id": request_id})
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds == ["top_up", "reserve", "settle"] and balance < 1_000_000
    stored = services.queued_request_repo.get(request_id)
    assert stored is not None and stored.status.value == "completed" and stored.response
