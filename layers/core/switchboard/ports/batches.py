"""Batches and their lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from switchboard.domain.batches import Batch, LineState, Status, StoredLine


class BatchRepository(Protocol):
    """Batches, their status changes, and their lines' outcomes."""

    def create(self, batch: Batch, expires_at: int) -> Batch:
        """Store a new batch; the stored one if its id exists already."""
        ...

    def get(self, batch_id: str) -> Batch | None: ...

    def list_for_user(self, user_id: str, *, after: Batch | None, limit: int) -> list[Batch]:
        """Up to `limit` of a user's batches, newest first, older than `after`."""
        ...

    def item_key(self, batch_id: str) -> dict[str, Any]:
        """The batch item's key, as the workflow's own reads of the batch take it."""
        ...

    def move(
        self, batch_id: str, to: Status, now: int, *, when: Iterable[Status], **extra: Any
    ) -> bool:
        """Change the status to `to` if it is one of `when` (with `extra` attributes)."""
        ...

    def planned(self, batch_id: str, total: int) -> bool:
        """Record the lines the split sent, once."""
        ...

    def due(self, now: int, limit: int = 100) -> list[str]:
        """Ids of batches still running past their completion window."""
        ...

    def line_state(self, batch_id: str, number: int) -> LineState | None:
        """The batch as a line worker needs it, and whether the line is done (one read)."""
        ...

    def line_written(
        self,
        batch_id: str,
        line: StoredLine,
        *,
        expires_at: int,
        usage: tuple[int, int] = (0, 0),
        cost_micro_usd: int = 0,
    ) -> list[Any]:
        """The writes that store a line's outcome (once) and count it in its batch, for a
        settlement's or a release's transaction (Ledger.settle/release `also`) or `record`."""
        ...

    def lines_skipped(self, batch_id: str, numbers: Sequence[int], expires_at: int) -> list[Any]:
        """The writes that store lines as skipped and count them as done, for `record`."""
        ...

    def record(self, writes: Sequence[Any]) -> bool:
        """Store line outcomes that hold no money, all or nothing; False if one was there."""
        ...

    def line_done(self, batch_id: str, number: int) -> bool: ...

    def lines(self, batch_id: str) -> Iterator[StoredLine]:
        """The stored lines in order, read a page at a time."""
        ...
