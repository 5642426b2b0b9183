"""Queue consumers (switchboard/workers.py): one message at a time, partial batch responses."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from switchboard.workers import async_queue_handler, close_thread_loop, queue_handler


def sqs_event(*bodies: str) -> dict[str, Any]:
    records = [
        {
            "messageId": f"m{i}",
            "receiptHandle": f"r{i}",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
            "awsRegion": "us-east-1",
        }
        for i, body in enumerate(bodies)
    ]
    return {"Records": records}


def test_only_the_messages_that_failed_are_reported() -> None:
    handled: list[dict[str, Any]] = []

    def handle(body: dict[str, Any]) -> None:
        if body.get("fail"):
            raise RuntimeError("no")
        handled.append(body)

    event = sqs_event(json.dumps({"n": 1}), json.dumps({"fail": True}), "not json", "{}")
    result = queue_handler(handle)(event, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    assert handled == [{"n": 1}, {}]


def test_a_batch_that_all_succeeds_reports_nothing() -> None:
    result = queue_handler(lambda body: None)(sqs_event("{}", "{}"), None)
    assert result == {"batchItemFailures": []}


def test_an_async_handler_keeps_its_threads_event_loop_across_invocations() -> None:
    """As Powertools keeps a Lambda container's loop, so that what an invocation builds on it
    (an upstream's HTTP client and its connections) serves the next ones; each thread (a
    local consumer, a container of its own) has its own, closed when the thread ends."""
    loops: dict[str, list[asyncio.AbstractEventLoop]] = {}

    async def handle(body: dict[str, Any]) -> None:
        loops.setdefault(threading.current_thread().name, []).append(asyncio.get_running_loop())

    handler = async_queue_handler(handle)

    def consumer() -> None:
        assert handler(sqs_event("{}"), None) == {"batchItemFailures": []}
        assert handler(sqs_event("{}", "{}"), None) == {"batchItemFailures": []}
        close_thread_loop()

    threads = [threading.Thread(target=consumer, name=f"consumer-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = loops["consumer-0"], loops["consumer-1"]
    assert len(first) == len(second) == 3
    assert len(set(map(id, first))) == len(set(map(id, second))) == 1
    assert first[0] is not second[0] and first[0].is_closed() and second[0].is_closed()
