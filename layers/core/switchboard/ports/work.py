"""Asynchronous work: job queues (SQS) and workflows (Step Functions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence


class JobQueue(Protocol):
    """Work to do later, delivered at least once (SQS): consumers are idempotent."""

    def send(self, body: dict[str, Any], *, delay_seconds: int = 0) -> str:
        """Enqueue one message; its id."""
        ...

    def send_all(self, bodies: Sequence[dict[str, Any]]) -> None: ...


class Workflow(Protocol):
    """Long-running jobs driven by a state machine (Step Functions)."""

    def start(self, name: str, input: dict[str, Any]) -> str:
        """Start one execution, named so that starting it twice starts it once."""
        ...

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        """End a task-token step; False if it is no longer waited for."""
        ...

    def fail(self, token: str, error: str, cause: str) -> bool: ...

    def running(self, name: str) -> bool:
        """Whether the execution `name` exists and is still running."""
        ...
