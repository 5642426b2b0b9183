"""A batch's machinery of its own for one test, on the emulator: the line queue (with its
dead-letter queue: a failed message comes back after 1 s, and is dead-lettered after its
second receive), the steps queue, and the state machine made from statemachines/ as the
template makes it; the batch services wired to them (ports can be wrapped, to simulate a
crash). The test drives the consumers itself, step by step or until the batch ends."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from switchboard.adapters.aws.queues import SqsJobQueue
from switchboard.adapters.aws.workflows import SfnWorkflow
from switchboard.bootstrap import Container
from switchboard.domain.batches import TERMINAL, Batch, BatchOrder
from switchboard.services.batch_lines import BatchLines
from switchboard.services.batch_steps import BatchSteps
from switchboard.services.batches import BatchService
from switchboard.services.billing import Billing
from tests.conftest import ROOT

DEFINITION = ROOT / "statemachines" / "batch.asl.json"


@dataclass
class Rig:
    services: Container
    batches: BatchService
    steps: BatchSteps
    lines: BatchLines
    urls: dict[str, str]  # lines, dead, steps

    async def start(
        self, user_id: str, data: bytes, endpoint: str = "/v1/chat/completions"
    ) -> Batch:
        """A batch of `data`, put in the bucket and started as an upload starts one."""
        key = f"batch-input/{user_id}/{uuid.uuid4().hex}.jsonl"
        self.services.blobs.put(key, data, content_type="application/jsonl")
        return await self.batches.start(user_id, key, BatchOrder.of(endpoint))

    def batch(self, batch_id: str) -> Batch:
        found = self.services.batch_repo.get(batch_id)
        assert found is not None
        return found

    def receive(self, queue: str, wait: float = 0) -> list[dict[str, Any]]:
        """The messages waiting on one of the rig's queues, taken off it."""
        sqs = self.services.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=self.urls[queue], MaxNumberOfMessages=10, WaitTimeSeconds=int(wait)
        ).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=self.urls[queue], ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    async def step(self, name: str, within: float = 20) -> dict[str, Any]:
        """Wait for the state machine's next step, check it is `name`, and run it."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.receive("steps", wait=1):
                assert message["step"] == name, message
                await self.steps.run(message)
                return message
        raise AssertionError(f"the state machine never asked for {name}")

    async def drive(self, batch_id: str, within: float = 60) -> Batch:
        """Consume every queue as the template's functions would, until the batch ends: a
        line message that fails stays on its queue and comes back (then dead-letters)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.receive("steps"):
                await self.steps.run(message)
            await self._consume_lines()
            for message in self.receive("dead"):
                await self.lines.bury(message)
            if self.batch(batch_id).status in TERMINAL:
                return self.batch(batch_id)
            await anyio.sleep(0.2)
        raise AssertionError(f"{batch_id} did not end: {self.batch(batch_id)}")

    async def _consume_lines(self) -> None:
        sqs = self.services.client("sqs")
        url = self.urls["lines"]
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        for message in received.get("Messages", []):
            try:
                await self.lines.process(json.loads(message["Body"]))
            except Exception:
                continue  # not deleted: it comes back after the visibility timeout
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def make_rig(
    services: Container,
    *,
    window_seconds: int = 86_400,
    wrap_repo: Callable[[Any], Any] = lambda repo: repo,
    wrap_lines_queue: Callable[[Any], Any] = lambda queue: queue,
    wrap_ledger: Callable[[Any], Any] | None = None,
) -> Rig:
    sqs = services.client("sqs")
    name = f"rig-{uuid.uuid4().hex[:12]}"
    dead = sqs.create_queue(QueueName=f"{name}-dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dead_arn["Attributes"]["QueueArn"], "maxReceiveCount": 2}
    lines_url = sqs.create_queue(
        QueueName=f"{name}-lines",
        Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    steps_url = sqs.create_queue(QueueName=f"{name}-steps")["QueueUrl"]
    workflow = SfnWorkflow(
        services.client("stepfunctions"), _state_machine(services, name, steps_url)
    )
    lines_queue = wrap_lines_queue(SqsJobQueue(sqs, lines_url))
    repo = wrap_repo(services.batch_repo)
    billing = services.billing
    if wrap_ledger is not None:
        ttl = services.settings.RESERVATION_TTL_SECONDS
        billing = Billing(wrap_ledger(services.ledger_repo), services.limiter,
                          reservation_ttl_seconds=ttl)  # fmt: skip
    return Rig(
        services,
        BatchService(
            repo, services.files, workflow, services.limiter, services.account_repo,
            completion_window_seconds=window_seconds, poll_seconds=1,
        ),
        BatchSteps(repo, services.files, services.blobs, lines_queue, workflow),
        BatchLines(repo, services.blobs, lines_queue, services.catalog, services.inference,
                   billing),
        {"lines": lines_url, "dead": dead, "steps": steps_url},
    )  # fmt: skip


def _state_machine(services: Container, name: str, steps_url: str) -> str:
    text = DEFINITION.read_text(encoding="utf-8")
    text = text.replace("${BatchStepsQueueUrl}", steps_url)
    text = text.replace("${TableName}", services.settings.TABLE_NAME)
    created = services.client("stepfunctions").create_state_machine(
        name=name, definition=text, roleArn="arn:aws:iam::123456789012:role/rig"
    )
    return str(created["stateMachineArn"])
