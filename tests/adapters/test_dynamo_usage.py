"""A payer's usage counters and ledger pages on DynamoDB (moto's server): the counter is
added in the settlement's own transaction, once however often the settlement is tried."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from switchboard.adapters.aws.ledger import DynamoLedgerRepository
from switchboard.adapters.aws.usage import DynamoUsageRepository, encode_cursor
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.billing import Charge
from switchboard.domain.clock import utcnow
from switchboard.errors import InvalidRequestError
from tests.support.ledger import hold, reserve


@pytest.fixture
def ledger(services: Container) -> DynamoLedgerRepository:
    return services.ledger_repo


@pytest.fixture
def usage(services: Container) -> DynamoUsageRepository:
    return services.usage_repo


def test_settlements_add_to_the_payers_counters_once(
    ledger: DynamoLedgerRepository, usage: DynamoUsageRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    direct, through_app = hold(user, 100_000), replace(hold(user, 100_000), app_id="app_x1")
    for reservation in (direct, through_app):
        reserve(ledger, reservation)
    with ThreadPoolExecutor(max_workers=6) as pool:  # racing settlements: one wins each
        list(pool.map(lambda r: ledger.settle(r, Charge(10, 5, 40, 40, 15), utcnow()),
                      [direct, through_app] * 3))  # fmt: skip
    today = utcnow().date()
    rows = sorted(usage.totals(user.user_id, today, today), key=lambda row: row.app_id or "")
    assert [(row.app_id, row.model, row.requests, row.tokens, row.cost_micro_usd)
            for row in rows] == [(None, "fake-chat", 1, 15, 40),
                                 ("app_x1", "fake-chat", 1, 15, 40)]  # fmt: skip
    assert (rows[0].prompt_tokens, rows[0].completion_tokens) == (10, 5)


def test_a_release_counts_no_usage(
    ledger: DynamoLedgerRepository, usage: DynamoUsageRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    reservation = hold(user, 100_000)
    reserve(ledger, reservation)
    assert ledger.release(reservation, utcnow(), "upstream failed")
    assert usage.totals(user.user_id, utcnow().date(), utcnow().date()) == []


def test_entry_pages_walk_the_whole_ledger_newest_first(
    ledger: DynamoLedgerRepository, usage: DynamoUsageRepository, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=1)
    for _ in range(4):
        reservation = hold(user, 10_000)
        reserve(ledger, reservation)
        ledger.settle(reservation, Charge(1, 1, 7, 7, 2), utcnow())
    seen, after = [], None
    while True:
        page = usage.entries(user.user_id, after=after, limit=3)
        seen += page.entries
        if not page.has_more:
            break
        after = page.next_cursor
    ids = [entry.entry_id for entry in seen]
    assert len(ids) == 9 and ids == sorted(ids, reverse=True)
    assert ids == [entry.entry_id for entry in ledger.entries(user.user_id)][::-1]
    charges = [entry for entry in seen if entry.kind == "settle"]
    assert {entry.cost_micro_usd for entry in charges} == {7}
    assert all(entry.cost_micro_usd == 0 for entry in seen if entry.kind != "settle")


@pytest.mark.parametrize("cursor", ["", "!!", encode_cursor("a b"), encode_cursor("x" * 200)])
def test_a_cursor_it_did_not_give_is_refused(usage: DynamoUsageRepository, cursor: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        usage.entries("usr_x", after=cursor or "=", limit=2)
    assert refused.value.param == "after"
