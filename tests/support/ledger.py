"""What the money tests share: a hold to reserve by hand, and the ledger's invariant."""

from __future__ import annotations

from datetime import timedelta

from switchboard.adapters.aws.ledger import DynamoLedgerRepository
from switchboard.domain.accounts import User
from switchboard.domain.billing import Reservation, new_reservation_id
from switchboard.domain.keys import utcnow


def hold(user: User, amount: int, *, tokens: int = 0, age_seconds: int = 0) -> Reservation:
    """A hold of `amount` micro-USD on a user, made `age_seconds` ago (900 s to live)."""
    now = utcnow() - timedelta(seconds=age_seconds)
    return Reservation(
        reservation_id=new_reservation_id(),
        payer_id=user.user_id,
        caller_id=user.user_id,
        window="202611241200",
        model="fake-chat",
        app_id=None,
        amount_micro_usd=amount,
        tokens=tokens,
        request_id="req_test",
        created_at=now,
        release_after=int(now.timestamp()) + 900,
    )


def ledger_state(ledger: DynamoLedgerRepository, user_id: str) -> tuple[int, list[str]]:
    """The balance and the ledger's kinds in order, once the ledger is checked: its entries
    sum to the balance, number as many as the balance counts, and the balance is not negative."""
    balance, count = ledger.balance_and_count(user_id)
    entries = sorted(ledger.entries(user_id), key=lambda e: e.entry_id)
    assert sum(e.amount_micro_usd for e in entries) == balance
    assert len(entries) == count
    assert balance >= 0
    return balance, [e.kind for e in entries]
