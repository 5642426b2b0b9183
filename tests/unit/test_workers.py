"""Queue consumers (switchboard/workers.py): one message at a time, partial batch responses."""

from __future__ import annotations

import json
from typing import Any

from switchboard.workers import queue_handler


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
