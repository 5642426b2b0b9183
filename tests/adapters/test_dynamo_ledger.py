"""Balances, the ledger and reservations on DynamoDB (moto's server), with real threads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from switchboard.adapters.aws.ledger import DynamoLedgerRepository
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.billing import BalanceTooLow, Charge
from switchboard.domain.clock import utcnow
from switchboard.domain.limits import WindowLimits
from switchboard.services.billing import Billing
from tests.support.ledger import hold, ledger_state, reserve, window_tokens


def served(prompt: int, completion: int, cost: int) -> Charge:
    """A charge within its hold: billed its whole cost, its tokens counted."""
    return Charge(prompt, completion, cost, cost, prompt + completion)


@pytest.fixture
def ledger(services: Container) -> DynamoLedgerRepository:
    return services.ledger_repo


def test_reserve_then_settle_charges_the_cost_and_returns_the_rest(
    ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    reservation = hold(user, 300_000)
    reserve(ledger, reservation)
    assert ledger.balance(user.user_id) == 700_000
    assert ledger.settle(reservation, served(10, 20, 123_457), utcnow())
    assert ledger.balance(user.user_id) == 1_000_000 - 123_457
    kinds = [e.kind for e in sorted(ledger.entries(user.user_id), key=lambda e: e.entry_id)]
    assert kinds == ["top_up", "reserve", "settle"]
    ledger_state(ledger, user.user_id)[0]


def test_settle_and_release_happen_once(
    ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    reservation = hold(user, 500_000)
    reserve(ledger, reservation)
    assert ledger.settle(reservation, served(1, 1, 100), utcnow())
    assert not ledger.settle(reservation, served(1, 1, 100), utcnow())
    assert not ledger.release(reservation, utcnow(), "late")
    assert ledger_state(ledger, user.user_id)[0] == 1_000_000 - 100


def test_a_hold_the_balance_cannot_cover_is_refused_with_what_is_available(
    ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    with pytest.raises(BalanceTooLow) as refused:
        reserve(ledger, hold(user, 1_000_001))
    assert refused.value.available == 1_000_000
    assert ledger_state(ledger, user.user_id)[0] == 1_000_000


def test_a_cost_above_the_hold_bills_the_hold_and_records_the_rest_as_unbilled(
    services: Container, ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    reservation = hold(user, 900_000)
    reserve(ledger, reservation)
    charge = Charge(10, 10, cost_micro_usd=1_250_000, billed_micro_usd=900_000, counted_tokens=7)
    assert ledger.settle(reservation, charge, utcnow())
    assert ledger_state(ledger, user.user_id)[0] == 100_000
    settle = next(e for e in ledger.entries(user.user_id) if e.kind == "settle")
    assert settle.amount_micro_usd == 0  # the whole hold kept, nothing more
    item = services.client("dynamodb").get_item(
        TableName=services.settings.TABLE_NAME,
        Key={"PK": {"S": f"USER#{user.user_id}"}, "SK": {"S": f"LEDGER#{settle.entry_id}"}},
    )["Item"]
    assert item["unbilled_micro_usd"] == {"N": "350000"}
    assert item["cost_micro_usd"] == {"N": "1250000"}


def test_concurrent_holds_never_overspend(
    ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    """24 threads each hold $0.30 of a $1.00 balance at once: exactly three can."""
    user = new_user(balance_usd=1)

    def attempt(_: int) -> bool:
        try:
            reserve(ledger, hold(user, 300_000))
            return True
        except BalanceTooLow:
            return False

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(attempt, range(24)))
    assert results.count(True) == 3
    assert ledger_state(ledger, user.user_id)[0] == 100_000


def test_concurrent_settlements_of_one_reservation_charge_once(
    ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    reservation = hold(user, 400_000)
    reserve(ledger, reservation)

    def settle_or_release(i: int) -> bool:
        if i % 2:
            return ledger.release(reservation, utcnow(), "racing")
        return ledger.settle(reservation, served(5, 5, 1_000), utcnow())

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(settle_or_release, range(12)))
    assert results.count(True) == 1
    balance = ledger_state(ledger, user.user_id)[0]
    assert balance in (1_000_000, 999_000)


def test_the_sweeper_releases_only_expired_holds(
    services: Container, ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    stale = hold(user, 200_000, age_seconds=1000)
    fresh = hold(user, 100_000)
    reserve(ledger, stale)
    reserve(ledger, fresh)
    billing = Billing(ledger, services.limiter, reservation_ttl_seconds=900)
    billing.sweep_once()  # other tests' stale holds may be swept too; ours must be
    assert ledger.balance(user.user_id) == 900_000
    assert not ledger.release(stale, utcnow(), "again")
    assert ledger.settle(fresh, served(1, 1, 50_000), utcnow())
    assert ledger_state(ledger, user.user_id)[0] == 950_000


def test_reserved_tokens_are_counted_in_the_rate_window_and_corrected(
    services: Container, ledger: DynamoLedgerRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    reservation = hold(user, 1_000, tokens=500)
    reserve(ledger, reservation, WindowLimits())
    assert window_tokens(services, user.user_id) == 500
    ledger.settle(reservation, served(30, 40, 10), utcnow())
    assert window_tokens(services, user.user_id) == 70
