"""The ledger (holds, settlements, a user's entries and usage) and the rate windows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date, datetime

    from switchboard.domain.accounts import LedgerEntry
    from switchboard.domain.billing import Admission, Charge, Reservation
    from switchboard.domain.limits import WindowCounts, WindowLimits, WindowWrite
    from switchboard.domain.usage import EntryPage, UserUsageRow


class UsageRepository(Protocol):
    """A user's own ledger entries, a page at a time, and their usage counters."""

    def entries(self, user_id: str, *, after: str | None, limit: int) -> EntryPage: ...

    def totals(self, user_id: str, start: date, end: date) -> list[UserUsageRow]: ...


class RateWindows(Protocol):
    """Per-subject request and token counters in fixed one-minute windows."""

    def count_user(self, user_id: str, window: str, limits: WindowLimits) -> WindowWrite:
        """Count one request in the user's window if it has room; one atomic write."""
        ...

    def count_subject(
        self, subject: str, window: str, window_end: int, limits: WindowLimits
    ) -> WindowWrite:
        """The same for a subject with no account (`login:<email>`)."""
        ...

    def add_tokens(self, user_id: str, window: str, tokens: int) -> WindowCounts | None:
        """Add tokens while the window is `window`; None once another has begun."""
        ...


class Ledger(Protocol):
    """Balances, their append-only ledger, and credit holds."""

    def admit(self, r: Reservation, limits: WindowLimits | None) -> Admission:
        """Hold `r` and, with `limits`, count the request in its caller's window, in one
        atomic write; what the refusing condition saw, when it is refused."""
        ...

    def settle(
        self, r: Reservation, charge: Charge, now: datetime, also: Sequence[Any] = ()
    ) -> bool:
        """Bill a charge and return the rest of the hold; False if already closed. `also`:
        writes of other repositories of the same store (a job's answer, a batch's counters),
        made in the same all-or-nothing write."""
        ...

    def release(self, r: Reservation, now: datetime, reason: str, also: Sequence[Any] = ()) -> bool:
        """Return the whole hold (with `also`, as settle); False if already closed."""
        ...

    def credit(self, user_id: str, amount: int, *, kind: str, reason: str, now: datetime) -> None:
        """A top-up or an adjustment; BalanceTooLow if it would go below zero."""
        ...

    def balance(self, user_id: str) -> int: ...

    def statement(self, user_id: str) -> tuple[int, int, list[LedgerEntry]]:
        """The balance, its entry count, and the entries that should sum to it."""
        ...

    def user_ids(self) -> Iterator[str]: ...

    def accounts_due(self, now: int, limit: int = 100) -> list[str]:
        """Users whose accounts may hold a hold older than its release time."""
        ...

    def holds(self, user_id: str) -> list[Reservation]: ...

    def retrack(self, user_id: str, holds: list[Reservation]) -> None:
        """Point the sweeper at the earliest of the holds still open (or at none)."""
        ...
