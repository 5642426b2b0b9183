"""The state machine's own paths, on the emulator: an input that cannot run fails the batch
at validation (with OpenAI's `errors`), a step whose message failed every delivery fails its
batch and its execution, and a step the state machine gives up on marks the batch failed
through the definition's own DynamoDB update."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.batches import Status
from switchboard.domain.files import MAX_FILE_LINES
from tests.services.test_batch_runs import chat, jsonl
from tests.support.batch_rig import Rig, make_rig

pytestmark = pytest.mark.anyio


def execution_status(rig: Rig, batch_id: str, until: str, within: float = 15) -> str:
    """The batch's execution's status, once it is `until` (or when time runs out)."""
    sfn = rig.services.client("stepfunctions")
    machine = rig.batches._workflow._arn  # type: ignore[attr-defined]
    arn = machine.replace(":stateMachine:", ":execution:") + f":{batch_id}"
    deadline = time.monotonic() + within
    status = ""
    while time.monotonic() < deadline:
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status == until:
            break
        time.sleep(0.2)
    return status


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"{}\n" * (MAX_FILE_LINES + 1), "too_many_requests"),
        (b"\n  \n", "empty_file"),
        (None, "file_not_found"),
    ],
)
async def test_an_input_that_cannot_run_fails_the_batch_at_validation(
    services: Container, new_user: Callable[..., User], data: bytes | None, code: str
) -> None:
    rig = make_rig(services)
    user = new_user(plan="enterprise")
    batch = await rig.start(user.user_id, data or jsonl([chat("a")]))
    if data is None:  # the object is deleted before the batch reads it
        services.blobs.delete(batch.input_key)
    await rig.step("validate")
    failed = rig.batch(batch.batch_id)
    assert failed.status is Status.FAILED and "failed_at" in failed.entered
    assert [error["code"] for error in failed.errors] == [code]
    assert execution_status(rig, batch.batch_id, "SUCCEEDED") == "SUCCEEDED"  # no split
    assert rig.receive("steps") == [] and rig.receive("lines") == []


async def test_a_step_that_fails_every_delivery_fails_its_batch_and_its_execution(
    services: Container, new_user: Callable[..., User]
) -> None:
    rig = make_rig(services)
    batch = await rig.start(new_user(plan="enterprise").user_id, jsonl([chat("a")]))
    [message] = rig.receive("steps", wait=5)
    await rig.steps.bury(message)  # what BatchStepsDeadLettersFunction does
    failed = rig.batch(batch.batch_id)
    assert failed.status is Status.FAILED
    assert (
        failed.errors[0]["code"] == "processing_failed"
        and "validate" in failed.errors[0]["message"]
    )
    assert execution_status(rig, batch.batch_id, "FAILED") == "FAILED"
    assert batch.batch_id not in services.batch_repo.due(2**40)  # nothing left to expire


async def test_a_step_the_state_machine_gives_up_on_fails_the_batch_from_the_definition(
    services: Container, new_user: Callable[..., User]
) -> None:
    rig = make_rig(services)
    batch = await rig.start(new_user(plan="enterprise").user_id, jsonl([chat("a")]))
    [message] = rig.receive("steps", wait=5)
    workflow: Any = rig.batches._workflow  # type: ignore[attr-defined]
    assert workflow.fail(message["token"], "StepTimedOut", "the step took too long")
    assert execution_status(rig, batch.batch_id, "FAILED") == "FAILED"
    failed = rig.batch(batch.batch_id)  # written by the definition's MarkFailed state
    assert failed.status is Status.FAILED
    assert failed.errors[0]["code"] == "processing_failed"
    assert "StepTimedOut" in failed.errors[0]["message"]
