"""The ledger audit behind `switchboard ledger check`: does each user's ledger add up?

A balance and its ledger entry are written in one transaction, so for every user the entries
sum to the balance and their number equals the balance item's entry_count. The two are read
separately, though, so a request in flight between the reads can make a sound account look
off: a user who does not add up is read again (up to `retries` times, `pause_seconds`
apart) before the finding stands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from switchboard.ports import Ledger

RETRIES = 5
PAUSE_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Finding:
    """One user's balance item beside what their ledger entries add up to."""

    user_id: str
    balance_micro_usd: int
    entry_count: int
    ledger_sum_micro_usd: int
    ledger_entries: int

    @property
    def balanced(self) -> bool:
        return self.difference_micro_usd == 0 and self.count_difference == 0

    @property
    def difference_micro_usd(self) -> int:
        """What the entries add up to minus the balance (positive: the ledger holds more)."""
        return self.ledger_sum_micro_usd - self.balance_micro_usd

    @property
    def count_difference(self) -> int:
        return self.ledger_entries - self.entry_count


class LedgerAudit:
    def __init__(
        self,
        ledger: Ledger,
        *,
        retries: int = RETRIES,
        pause_seconds: float = PAUSE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ledger = ledger
        self._retries = retries
        self._pause = pause_seconds
        self._sleep = sleep

    def check_user(self, user_id: str) -> Finding:
        """The user's finding, read again while it does not balance (requests in flight)."""
        finding = self._read(user_id)
        for _ in range(self._retries):
            if finding.balanced:
                break
            self._sleep(self._pause)
            finding = self._read(user_id)
        return finding

    def check_all(self) -> Iterator[Finding]:
        """A finding for every user with a balance, as the table is scanned."""
        for user_id in self._ledger.user_ids():
            yield self.check_user(user_id)

    def _read(self, user_id: str) -> Finding:
        balance, count, entries = self._ledger.statement(user_id)
        amounts = [entry.amount_micro_usd for entry in entries]
        return Finding(user_id, balance, count, sum(amounts), len(amounts))
