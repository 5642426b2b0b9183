"""The ledger audit (`switchboard ledger check`) on DynamoDB (moto's server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.clock import utcnow
from switchboard.services.accounts import AccountService
from switchboard.services.audit import LedgerAudit

Tamper = Callable[[str, int], str]


def add_ledger_entry(services: Container, user_id: str, amount_micro_usd: int) -> str:
    """A ledger entry written behind the ledger's back: no balance change goes with it."""
    sort_key = f"LEDGER#99991231T000000000000Z-tampered-{amount_micro_usd}"
    services.client("dynamodb").put_item(
        TableName=services.settings.TABLE_NAME,
        Item={
            "PK": {"S": f"USER#{user_id}"},
            "SK": {"S": sort_key},
            "type": {"S": "ledger"},
            "kind": {"S": "adjustment"},
            "amount_micro_usd": {"N": str(amount_micro_usd)},
            "reason": {"S": "written directly"},
            "created_at": {"S": utcnow().isoformat()},
        },
    )
    return sort_key


def remove_ledger_entry(services: Container, user_id: str, sort_key: str) -> None:
    services.client("dynamodb").delete_item(
        TableName=services.settings.TABLE_NAME,
        Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": sort_key}},
    )


@pytest.fixture
def tamper(services: Container) -> Iterator[Tamper]:
    """Adds an entry to a user's ledger; removed afterwards, so whole-table checks that run
    later on this emulator find every ledger balanced again."""
    added: list[tuple[str, str]] = []

    def add(user_id: str, amount_micro_usd: int) -> str:
        added.append((user_id, add_ledger_entry(services, user_id, amount_micro_usd)))
        return added[-1][1]

    yield add
    for user_id, sort_key in added:
        remove_ledger_entry(services, user_id, sort_key)


def audit(services: Container, pauses: list[float]) -> LedgerAudit:
    """An audit that records its pauses instead of sleeping."""
    return LedgerAudit(services.ledger_repo, pause_seconds=0.01, sleep=pauses.append)


def test_a_user_whose_entries_sum_to_the_balance_passes(
    services: Container, accounts: AccountService, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=10)
    accounts.add_credits(user.user_id, 2_500_000, "top-up")
    accounts.add_credits(user.user_id, -1_000_000, "adjustment")
    pauses: list[float] = []
    finding = audit(services, pauses).check_user(user.user_id)
    assert finding.balanced and pauses == []
    assert (finding.balance_micro_usd, finding.entry_count) == (11_500_000, 3)
    assert (finding.ledger_sum_micro_usd, finding.ledger_entries) == (11_500_000, 3)


def test_a_tampered_ledger_is_reported_with_the_difference_after_rereading(
    services: Container, new_user: Callable[..., User], tamper: Tamper
) -> None:
    user = new_user(balance_usd=10)
    tamper(user.user_id, 1_234_567)
    pauses: list[float] = []
    finding = audit(services, pauses).check_user(user.user_id)
    assert not finding.balanced
    assert finding.balance_micro_usd == 10_000_000
    assert finding.ledger_sum_micro_usd == 11_234_567
    assert (finding.difference_micro_usd, finding.count_difference) == (1_234_567, 1)
    assert pauses == [0.01] * 5  # read again five times before the finding stands


def test_a_difference_that_resolves_while_rereading_is_not_reported(
    services: Container, new_user: Callable[..., User]
) -> None:
    """As a request in flight would: the second read finds the ledger whole again."""
    user = new_user(balance_usd=3)
    sort_key = add_ledger_entry(services, user.user_id, 500)

    def settle_meanwhile(_: float) -> None:
        remove_ledger_entry(services, user.user_id, sort_key)

    audit_ = LedgerAudit(services.ledger_repo, sleep=settle_meanwhile)
    assert audit_.check_user(user.user_id).balanced


def test_check_all_covers_every_user_with_a_balance(
    services: Container, new_user: Callable[..., User], tamper: Tamper
) -> None:
    sound, tampered = new_user(balance_usd=1), new_user(balance_usd=2)
    tamper(tampered.user_id, -300)
    findings = {f.user_id: f for f in audit(services, []).check_all()}
    assert findings[sound.user_id].balanced
    assert findings[tampered.user_id].difference_micro_usd == -300
