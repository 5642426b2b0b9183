"""Asynchronous requests (the request queue)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from switchboard.domain.queue import IdempotencyKey, QueuedRequest


class QueuedRequestRepository(Protocol):
    """Queued requests (/v1/ai) and their idempotency keys."""

    def get(self, request_id: str) -> QueuedRequest | None: ...

    def page_for_user(
        self, user_id: str, *, after: str | None, limit: int, keep: Callable[[QueuedRequest], bool]
    ) -> tuple[list[QueuedRequest], str | None]: ...

    def idempotent(self, key: IdempotencyKey) -> tuple[str, str] | None:
        """(body hash, request id) of the submission a key was first used for."""
        ...

    def create(self, request: QueuedRequest, key: IdempotencyKey | None, expires_at: int) -> None:
        """Store a request and its key; DuplicateSubmission if the key was taken meanwhile."""
        ...

    def completed(
        self,
        request_id: str,
        *,
        response: str | None,
        response_key: str | None,
        usage: dict[str, Any],
        now: datetime,
    ) -> Any:
        """The write that stores an answer, for a settlement's transaction (Ledger.settle)."""
        ...

    def failed(self, request_id: str, error: dict[str, Any], now: datetime) -> Any:
        """The write that stores a failure, for a release's transaction."""
        ...

    def fail(self, request_id: str, error: dict[str, Any], now: datetime) -> bool:
        """Store a failure on its own; False if the request was no longer queued."""
        ...
