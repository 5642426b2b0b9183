"""The request queue through the platform's ASGI app and the worker's service: submit (202,
the hold taken), poll, answer, the errors this API documents, expiry and idempotency keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.clock import utcnow
from switchboard.domain.queue import QueuedInput, QueuedRequest, new_request_id
from tests.api.test_rate_limits import fresh_window
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
ASK = {"model": "fake-chat", "prompt": "Say hello", "max_tokens": 20}


async def submit(http: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await http.post("/v1/ai", json=body, headers=headers)


async def poll(http: httpx.AsyncClient, request_id: str) -> httpx.Response:
    return await http.get("/v1/ai", params={"req_id": request_id})


async def answer(services: Container, request_id: str) -> None:
    """What the queue worker does with the request's message."""
    await services.queue.process({"request_id": request_id})


async def test_a_request_is_queued_held_then_answered_and_billed_once(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        submitted = await submit(http, ASK)
        assert submitted.status_code == 202, submitted.text
        body = submitted.json()
        assert body == {"request_id": body["request_id"], "model": "fake-chat", "status": "queued"}
        assert submitted.headers["location"] == f"/v1/ai?req_id={body['request_id']}"
        assert "x-ratelimit-remaining" in submitted.headers  # counted at submit
        queued = (await poll(http, body["request_id"])).json()
        assert (queued["status"], queued["response"], queued["completed_at"]) == (
            "queued",
            None,
            None,
        )
        assert ledger_state(services.ledger_repo, user.user_id)[1] == ["top_up", "reserve"]
        await answer(services, body["request_id"])
        await answer(services, body["request_id"])  # delivered twice: nothing more happens
        done = (await poll(http, body["request_id"])).json()
    assert done["status"] == "completed" and done["response"].startswith("Hello")
    assert set(done) == {"req_id", "model", "status", "response", "usage", "error", "created_at",
                         "completed_at"}  # fmt: skip
    assert done["error"] is None and done["completed_at"] >= done["created_at"]
    usage = done["usage"]
    cost = -(-(usage["prompt_tokens"] * 1_500_000 + usage["completion_tokens"] * 2_000_000)
             // 1_000_000)  # fmt: skip
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000 - cost, ["top_up", "reserve", "settle"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": "fake-chat"}, "prompt", "missing_required_parameter"),
        ({"model": "fake-chat", "prompt": "   "}, "prompt", "invalid_value"),
        ({"model": "no-such-model", "prompt": "hi"}, "model", "model_not_found"),
        ({"model": "fake-embed", "prompt": "hi"}, "model", "invalid_model_type"),
        ({"model": "fake-chat", "prompt": "hi", "stream": True}, "stream", "unknown_parameter"),
        ({"model": "fake-chat", "prompt": "hi", "max_tokens": 0}, "max_tokens", "invalid_value"),
    ],
)
async def test_bad_submissions_are_400_and_hold_nothing(
    services: Container,
    new_user: Callable[..., User],
    connect: Any,
    body: dict[str, Any],
    param: str,
    code: str,
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        response = await submit(http, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert ledger_state(services.ledger_repo, user.user_id) == (1_000_000, ["top_up"])


async def test_401_402_and_429_as_everywhere(
    services: Container, new_user: Callable[..., User], connect: Any, open_client: Any
) -> None:
    async with open_client() as anonymous:
        assert (await submit(anonymous, ASK)).status_code == 401
        assert (await poll(anonymous, "aireq_x")).status_code == 401
    poor = new_user(balance_usd=0)
    async with connect(poor) as http:
        refused = await submit(http, ASK)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "insufficient_credits"
    assert {"required_usd", "available_usd", "max_affordable_tokens"} <= set(
        refused.json()["error"]
    )
    services.accounts.add_credits(poor.user_id, 1_000_000, "for the rate test")
    from switchboard.domain.limits import RateLimits

    limited = services.accounts.register(
        f"{poor.user_id}@limited.example", "R", "L", credits_usd="1",
        limits=RateLimits(requests_per_minute=1, tokens_per_minute=100_000),
    ).user  # fmt: skip
    await fresh_window()
    async with connect(limited) as http:
        statuses = [(await submit(http, ASK)).status_code for _ in range(2)]
    assert statuses == [202, 429]


async def test_unknown_foreign_and_expired_requests_are_404_not_found(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    owner, stranger = new_user(balance_usd=1), new_user(balance_usd=1)
    async with connect(owner) as http:
        mine = (await submit(http, ASK)).json()["request_id"]
    old = QueuedRequest(
        new_request_id(), owner.user_id, "fake-chat", QueuedInput("old"),
        utcnow() - timedelta(seconds=services.queue.ttl_seconds + 1),
    )  # fmt: skip
    services.queued_request_repo.create(old, None, expires_at=0)
    async with connect(stranger) as theirs, connect(owner) as http:
        answers = [
            await poll(http, "aireq_unknown"),
            await poll(theirs, mine),
            await poll(http, old.request_id),  # 24 hours old: gone, whatever TTL did
            await poll(http, "x" * 5000),
        ]
        missing = await http.get("/v1/ai")
    for response in answers:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["type"] == "not_found"
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "req_id"


async def test_an_idempotency_key_names_one_submission_per_user(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user, other = new_user(balance_usd=1), new_user(balance_usd=1)
    async with connect(user) as http, connect(other) as theirs:
        first = await submit(http, ASK, **{"Idempotency-Key": "order-42"})
        again = await submit(http, dict(reversed(ASK.items())), **{"Idempotency-Key": "order-42"})
        changed = await submit(http, ASK | {"prompt": "other"}, **{"Idempotency-Key": "order-42"})
        elsewhere = await submit(theirs, ASK, **{"Idempotency-Key": "order-42"})
        too_long = await submit(http, ASK, **{"Idempotency-Key": "k" * 256})
    assert first.status_code == again.status_code == 202
    assert again.json()["request_id"] == first.json()["request_id"]  # the same body, reordered
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "idempotency_key_reused"
    assert elsewhere.status_code == 202
    assert elsewhere.json()["request_id"] != first.json()["request_id"]  # keys are per user
    assert too_long.status_code == 400
    assert ledger_state(services.ledger_repo, user.user_id)[1] == ["top_up", "reserve"]


async def test_an_upstream_failure_fails_the_request_and_releases_its_hold(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        request_id = (await submit(http, ASK | {"model": "fail-500"})).json()["request_id"]
        await answer(services, request_id)
        failed = (await poll(http, request_id)).json()
    assert failed["status"] == "failed" and failed["response"] is None
    assert failed["error"]["code"] == "upstream_error" and "hunter2" not in json.dumps(failed)
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000, ["top_up", "reserve", "release"],
    )  # fmt: skip


async def test_a_dead_lettered_request_fails_and_its_hold_is_released(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        request_id = (await submit(http, ASK)).json()["request_id"]
        await services.queue.bury({"request_id": request_id})
        await answer(services, request_id)  # a late delivery: the request is over
        failed = (await poll(http, request_id)).json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "processing_failed"
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000, ["top_up", "reserve", "release"],
    )  # fmt: skip


async def test_a_long_answer_is_kept_in_the_blob_store_and_read_back(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        request_id = (await submit(http, {"model": "long-reply", "prompt": "a lot"})).json()[
            "request_id"
        ]
        await answer(services, request_id)
        done = (await poll(http, request_id)).json()
    assert done["status"] == "completed" and len(done["response"]) > 300_000
    stored = services.queued_request_repo.get(request_id)
    assert stored is not None and stored.response is None and stored.response_key
