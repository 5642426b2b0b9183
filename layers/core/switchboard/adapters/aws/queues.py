"""SqsJobQueue: work to do later, on one SQS queue, delivered at least once.

Messages are JSON objects. A consumer is written as switchboard/workers.py makes them; what a
message asks for must be safe to do twice (conditional writes decide), since SQS may
deliver a message more than once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from switchboard.adapters.aws.failures import unavailable
from switchboard.errors import ServiceUnavailableError

MAX_BATCH = 10  # SendMessageBatch's limit


class SqsJobQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, body: dict[str, Any], *, delay_seconds: int = 0) -> str:
        """Enqueue one message; its id. `delay_seconds` (0 to 900) holds it back."""
        with unavailable("The job queue"):
            response = self._client.send_message(
                QueueUrl=self._url,
                MessageBody=json.dumps(body, separators=(",", ":")),
                DelaySeconds=delay_seconds,
            )
        return str(response["MessageId"])

    def send_all(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Enqueue many messages, ten to a call; any that SQS refuses fails the whole call
        (503), and a retry may send the others twice: consumers are idempotent."""
        for start in range(0, len(bodies), MAX_BATCH):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(body, separators=(",", ":"))}
                for i, body in enumerate(bodies[start : start + MAX_BATCH])
            ]
            with unavailable("The job queue"):
                response = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            if response.get("Failed"):
                raise ServiceUnavailableError("The job queue refused some messages; try again.")
