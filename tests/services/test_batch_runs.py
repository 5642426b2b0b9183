"""Batches run end to end on the emulator, through the real state machine definition (a rig
of its own per test, tests/support/batch_rig.py): every line once, malformed lines of every
kind failed without stopping the rest, the output and error files in line order, each line
billed as a live request is, at the batch price."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.batches import Batch, Status
from tests.support.batch_rig import make_rig
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
CHAT = "/v1/chat/completions"


def chat(custom_id: Any, content: str = "hi", **changes: Any) -> dict[str, Any]:
    body = {"model": "local-chat", "messages": [{"role": "user", "content": content}],
            "max_tokens": 20}  # fmt: skip
    return {"custom_id": custom_id, "method": "POST", "url": CHAT, "body": body} | changes


def jsonl(lines: list[Any]) -> bytes:
    return b"".join((x if isinstance(x, bytes) else json.dumps(x).encode()) + b"\n" for x in lines)


def file_lines(services: Container, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    stored = services.file_repo.get(file_id)
    assert stored is not None and stored.purpose.value == "batch_output"
    data = services.blobs.get(stored.key)
    assert stored.bytes == len(data)
    return [json.loads(line) for line in data.splitlines()]


def batch_cost(services: Container, outputs: list[dict[str, Any]]) -> int:
    """What the output lines cost at the batch price, line by line, from their usage."""
    total = 0
    for line in outputs:
        body = line["response"]["body"]
        model = services.catalog.get(body["model"]).batch_priced()
        usage = body["usage"]
        total += model.cost_micro_usd(usage["prompt_tokens"], usage.get("completion_tokens", 0))
    return total


async def test_every_line_runs_once_and_malformed_ones_fail_without_stopping_the_rest(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    rig = make_rig(services)
    good = [chat(f"ok-{n}", f"question {n}") for n in range(7)]
    data = jsonl([
        *good[:3],
        b"this is not json",                                          # line 4
        b'["a", "list"]',                                             # line 5
        chat(None),                                                   # 6: no custom_id
        {"custom_id": "no-body", "method": "POST", "url": CHAT},      # 7
        chat("wrong-url", url="/v1/embeddings"),                      # 8
        chat("wrong-method", method="GET"),                           # 9
        chat("embed-model", body={"model": "local-embed", "input": "x"}),  # 10
        chat("unknown-model", body={"model": "nope", "messages": []}),     # 11
        chat("ok-0", "the same custom_id again"),                     # 12: a duplicate
        b"   ",                                                       # 13: blank, no request
        chat("upstream-500", body={"model": "fail-500", "messages": [{"role": "user",
                                                                     "content": "x"}]}),
        *good[3:],
    ])  # fmt: skip
    batch = await rig.start(user.user_id, data)
    done = await rig.drive(batch.batch_id)

    assert done.status is Status.COMPLETED and done.counts.total == 17
    assert (done.counts.completed, done.counts.failed) == (7, 10)
    outputs = file_lines(services, done.output_file_id)
    assert [line["custom_id"] for line in outputs] == [f"ok-{n}" for n in range(7)]
    for line in outputs:
        assert line["error"] is None and line["response"]["status_code"] == 200
        assert line["response"]["body"]["object"] == "chat.completion"
    errors = {
        (e["custom_id"] or e["error"]["line"]): e for e in file_lines(services, done.error_file_id)
    }
    assert {key: e["error"]["code"] for key, e in errors.items()} == {
        4: "invalid_json", 5: "invalid_json", 6: "missing_custom_id",
        "no-body": "missing_body", "wrong-url": "invalid_url", "wrong-method": "invalid_method",
        "embed-model": "invalid_model", "unknown-model": "model_not_found",
        "ok-0": "duplicate_custom_id", "upstream-500": "upstream_error",
    }  # fmt: skip
    assert errors["upstream-500"]["response"]["status_code"] == 502
    assert errors["wrong-url"]["response"] is None
    _assert_billed(services, user, done, outputs, ran=8)


async def test_an_embeddings_batch_at_the_batch_price(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    rig = make_rig(services)
    lines = [{"custom_id": f"e{n}", "method": "POST", "url": "/v1/embeddings",
              "body": {"model": "local-embed", "input": [f"text {n}", "more words here"] * 50}}
             for n in range(3)]  # fmt: skip
    batch = await rig.start(user.user_id, jsonl(lines), endpoint="/v1/embeddings")
    done = await rig.drive(batch.batch_id)
    outputs = file_lines(services, done.output_file_id)
    assert done.status is Status.COMPLETED and done.error_file_id is None
    assert [len(o["response"]["body"]["data"]) for o in outputs] == [100, 100, 100]
    live = services.catalog.get("local-embed")
    tokens = done.input_tokens
    assert done.cost_micro_usd == batch_cost(services, outputs) < live.cost_micro_usd(tokens, 0) * 3
    _assert_billed(services, user, done, outputs, ran=3)


def _assert_billed(
    services: Container, user: User, done: Batch, outputs: list[dict[str, Any]], ran: int
) -> None:
    """The ledger holds one hold per line that ran, each closed once; the batch's cost is
    its output lines' batch-priced costs; the balance moved by exactly that."""
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds.count("reserve") == ran
    assert kinds.count("settle") == len(outputs) and kinds.count("release") == ran - len(outputs)
    assert done.cost_micro_usd == batch_cost(services, outputs) > 0
    assert balance == 10_000_000 - done.cost_micro_usd
    usage = [o["response"]["body"]["usage"] for o in outputs]
    assert done.input_tokens == sum(u["prompt_tokens"] for u in usage)
    assert done.output_tokens == sum(u.get("completion_tokens", 0) for u in usage)


async def test_a_start_from_the_bucket_repeated_with_its_id_starts_one_batch(
    services: Container, new_user: Callable[..., User]
) -> None:
    from switchboard.domain.batches import BatchOrder
    from switchboard.errors import NotFoundError

    user = new_user(plan="enterprise")
    rig = make_rig(services)
    key = f"batch-input/{user.user_id}/uploaded.jsonl"
    services.blobs.put(key, jsonl([chat("a")]), content_type="application/jsonl")
    order = BatchOrder.of(CHAT)
    batch_id = f"batch_{user.user_id[-24:]}"
    first = await rig.batches.start(user.user_id, key, order, batch_id=batch_id)
    again = await rig.batches.start(user.user_id, key, order, batch_id=batch_id)
    assert first == again and first.source == "upload" and first.input_key == key
    stored = services.file_repo.get(first.input_file_id)
    assert stored is not None and (stored.user_id, stored.filename) == (
        user.user_id,
        "uploaded.jsonl",
    )
    await rig.step("validate")
    await rig.step("split")  # a second execution's validate would come first
    assert rig.receive("steps", wait=2) == []  # one execution, waiting on its line
    with pytest.raises(NotFoundError):
        await rig.batches.start("usr_nobody", key, order)
