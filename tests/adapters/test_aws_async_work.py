"""The job queue, blob store and workflow adapters on moto's server (SQS, S3, Step Functions):
at-least-once messages, byte ranges and multipart writes, presigned URLs, idempotent starts
and task-token answers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from switchboard.adapters.aws.blobs import PART_BYTES, S3Blobs
from switchboard.adapters.aws.queues import SqsJobQueue
from switchboard.adapters.aws.workflows import SfnWorkflow
from switchboard.bootstrap import Container
from switchboard.errors import NotFoundError


@pytest.fixture
def blobs(services: Container) -> S3Blobs:
    bucket = f"blobs-{uuid.uuid4().hex[:12]}"
    services.client("s3").create_bucket(Bucket=bucket)
    return S3Blobs(services.client("s3"), bucket)


@pytest.fixture
def queue_url(services: Container) -> str:
    url: str = services.client("sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}")[
        "QueueUrl"
    ]
    return url


def received(services: Container, url: str, expected: int) -> list[dict[str, Any]]:
    sqs, bodies = services.client("sqs"), []
    deadline = time.monotonic() + 10
    while len(bodies) < expected and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_messages_are_json_one_or_many(services: Container, queue_url: str) -> None:
    queue = SqsJobQueue(services.client("sqs"), queue_url)
    assert queue.send({"job": 0})
    queue.send_all([{"job": n} for n in range(1, 24)])  # three calls of ten, ten and three
    assert sorted(body["job"] for body in received(services, queue_url, 24)) == list(range(24))


def test_bytes_whole_by_range_and_by_line(blobs: S3Blobs) -> None:
    blobs.put("a/b.jsonl", b'{"n": 1}\n{"n": 2}\n{"n": 3}', content_type="application/jsonl")
    assert blobs.size("a/b.jsonl") == 26 and blobs.size("nothing") is None
    assert blobs.read("a/b.jsonl", (9, 16)) == b'{"n": 2}'
    assert list(blobs.lines("a/b.jsonl", chunk_bytes=5)) == [
        b'{"n": 1}\n', b'{"n": 2}\n', b'{"n": 3}',
    ]  # fmt: skip
    assert list(blobs.lines("a/b.jsonl", start=9)) == [b'{"n": 2}\n', b'{"n": 3}']
    with pytest.raises(NotFoundError):
        blobs.get("nothing")
    blobs.delete("a/b.jsonl")
    assert blobs.size("a/b.jsonl") is None


def test_a_large_object_is_written_in_parts_and_a_small_one_whole(blobs: S3Blobs) -> None:
    writer = blobs.writer("big", content_type="application/jsonl")
    line = b"x" * 1023 + b"\n"
    for _ in range(PART_BYTES // 1024 * 2 + 3):  # two full parts and a little more
        writer.write(line)
    writer.close()
    assert blobs.size("big") == (PART_BYTES // 1024 * 2 + 3) * 1024
    small = blobs.writer("small", content_type="text/plain")
    small.write(b"hi")
    small.close()
    assert blobs.get("small") == b"hi"


def test_a_download_url_serves_the_bytes_and_ranges(blobs: S3Blobs) -> None:
    blobs.put("v.mp4", b"0123456789", content_type="video/mp4")
    url = blobs.download_url("v.mp4", expires_in=300)
    assert "Expires=" in url or "X-Amz-Expires=300" in url
    assert httpx.get(url).content == b"0123456789"
    part = httpx.get(url, headers={"Range": "bytes=2-4"})
    assert (part.status_code, part.content) == (206, b"234")


def test_an_upload_url_is_for_one_key_and_bounded(blobs: S3Blobs) -> None:
    post = blobs.upload_url("batch-input/usr_1/in.jsonl", expires_in=300, max_bytes=1000)
    assert post["fields"]["key"] == "batch-input/usr_1/in.jsonl"
    assert any("content-length-range" in json.dumps(c) for c in _policy(post)["conditions"])
    sent = httpx.post(post["url"], data=post["fields"], files={"file": ("in.jsonl", b"{}\n")})
    assert sent.status_code in (200, 204)
    assert blobs.get("batch-input/usr_1/in.jsonl") == b"{}\n"


def _policy(post: dict[str, Any]) -> dict[str, Any]:
    import base64

    policy: dict[str, Any] = json.loads(base64.b64decode(post["fields"]["policy"]))
    return policy


def flow(services: Container, queue_url: str, **task: Any) -> SfnWorkflow:
    """A state machine of one SQS task-token step (`task`: more of the step's fields)."""
    sfn = services.client("stepfunctions")
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {"job.$": "$.job", "token.$": "$$.Task.Token"},
                },
                "End": True,
                **task,
            }
        },
    }
    arn = sfn.create_state_machine(
        name=f"flow-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/flow",
    )["stateMachineArn"]
    return SfnWorkflow(sfn, arn)


def test_a_workflow_starts_once_and_its_task_tokens_are_answered(
    services: Container, queue_url: str
) -> None:
    sfn = services.client("stepfunctions")
    workflow = flow(services, queue_url)
    execution = workflow.start("job_1", {"job": "job_1"})
    assert workflow.start("job_1", {"job": "job_1"}) == execution  # the same execution
    (message,) = received(services, queue_url, 1)
    assert message["job"] == "job_1"
    assert workflow.succeed(message["token"], {"done": True})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = sfn.describe_execution(executionArn=execution)["status"]
        if status != "RUNNING":
            break
        time.sleep(0.1)
    assert status == "SUCCEEDED"


def test_an_answer_after_the_step_timed_out_is_refused(services: Container, queue_url: str) -> None:
    workflow = flow(services, queue_url, TimeoutSeconds=1)
    workflow.start("job_late", {"job": "job_late"})
    (message,) = received(services, queue_url, 1)
    time.sleep(2)
    # (moto refuses a late SendTaskSuccess as AWS does, but accepts a late SendTaskFailure)
    assert not workflow.succeed(message["token"], {"done": "too late"})
