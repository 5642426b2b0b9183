"""What the money tests share: a hold to reserve by hand, the ledger's invariant, and the
stored settle entry and rate-window tokens."""

from __future__ import annotations

from datetime import timedelta

from switchboard.adapters.aws import table
from switchboard.adapters.aws.ledger import DynamoLedgerRepository
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User, new_entry_id
from switchboard.domain.billing import BalanceTooLow, Reservation, new_reservation_id
from switchboard.domain.clock import utcnow
from switchboard.domain.limits import WindowLimits


def hold(user: User, amount: int, *, tokens: int = 0, age_seconds: int = 0) -> Reservation:
    """A hold of `amount` micro-USD on a user, made `age_seconds` ago (900 s to live)."""
    now = utcnow() - timedelta(seconds=age_seconds)
    return Reservation(
        entry_id=new_entry_id(now),
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


def reserve(
    ledger: DynamoLedgerRepository, reservation: Reservation, limits: WindowLimits | None = None
) -> None:
    """Admit a hold by hand (with `limits`, counting it in the window too); BalanceTooLow
    with what was available when the balance could not cover it."""
    admission = ledger.admit(reservation, limits)
    if not admission.admitted:
        raise BalanceTooLow(admission.balance)


def ledger_state(ledger: DynamoLedgerRepository, user_id: str) -> tuple[int, list[str]]:
    """The balance and the ledger's kinds in order, once the ledger is checked: its entries
    sum to the balance, number as many as the balance counts, and the balance is not negative."""
    balance, count = ledger.balance_and_count(user_id)
    entries = sorted(ledger.entries(user_id), key=lambda e: e.entry_id)
    assert sum(e.amount_micro_usd for e in entries) == balance
    assert len(entries) == count
    assert balance >= 0
    return balance, [e.kind for e in entries]


def settle_item(services: Container, user_id: str) -> dict[str, str]:
    """The user's (one) settle entry as stored, with its details, as plain strings."""
    items = services.client("dynamodb").query(
        TableName=services.settings.TABLE_NAME,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :ledger)",
        ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}, ":ledger": {"S": "LEDGER#"}},
        ConsistentRead=True,
    )["Items"]
    (settle,) = [item for item in items if item["kind"]["S"] == "settle"]
    return {name: next(iter(value.values())) for name, value in settle.items()}


def window_tokens(services: Container, user_id: str) -> int:
    """The tokens counted in the user's current rate window (on their account item)."""
    item = services.client("dynamodb").get_item(
        TableName=services.settings.TABLE_NAME, Key=table.account(user_id), ConsistentRead=True
    )["Item"]
    return int(item.get("rate_tokens", {"N": "0"})["N"])
