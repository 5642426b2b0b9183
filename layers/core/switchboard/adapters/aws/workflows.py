"""SfnWorkflow: long-running jobs driven by one Step Functions state machine. Executions are
named after the job, so starting the same job twice starts it once. Steps that run code are
SQS task-token callbacks (FACTS.md: the same definition runs in AWS and in the emulator): a
worker finishes its step with `succeed` or `fail`.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from switchboard.adapters.aws.failures import aws_code, unavailable


class SfnWorkflow:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, name: str, input: dict[str, Any]) -> str:
        """Start the execution `name` (once: an existing one is left as it is); its ARN."""
        with unavailable("The workflow service"):
            try:
                response = self._client.start_execution(
                    stateMachineArn=self._arn, name=name, input=json.dumps(input)
                )
            except ClientError as exc:
                if aws_code(exc) != "ExecutionAlreadyExists":
                    raise
                return self._arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return str(response["executionArn"])

    def running(self, name: str) -> bool:
        """Whether the execution `name` exists and is still running."""
        arn = self._arn.replace(":stateMachine:", ":execution:") + f":{name}"
        with unavailable("The workflow service"):
            try:
                response = self._client.describe_execution(executionArn=arn)
            except ClientError as exc:
                if aws_code(exc) == "ExecutionDoesNotExist":
                    return False
                raise
        return bool(response.get("status") == "RUNNING")

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        """End a task-token step with `output`; False if the token is no longer waited for
        (the step timed out, or was answered already)."""
        return self._answer(
            lambda: self._client.send_task_success(taskToken=token, output=json.dumps(output))
        )

    def fail(self, token: str, error: str, cause: str) -> bool:
        """End a task-token step as failed with `error` (a short code) and `cause`."""
        return self._answer(
            lambda: self._client.send_task_failure(
                taskToken=token, error=error[:256], cause=cause[:32768]
            )
        )

    def _answer(self, call: Any) -> bool:
        with unavailable("The workflow service"):
            try:
                call()
            except ClientError as exc:
                if aws_code(exc) in ("InvalidToken", "TaskTimedOut", "TaskDoesNotExist"):
                    return False
                raise
        return True
