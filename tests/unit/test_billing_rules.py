"""The credit rules without sockets: the worst case, the partial-afford rule, the 402's
figures, and what a settlement charges (never beyond the hold)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from switchboard.domain.accounts import Role, User
from switchboard.domain.billing import (
    FALLBACK_OUTPUT_TOKENS,
    affordable_hold,
    charge_for,
    unaffordable,
    worst_case,
)
from switchboard.domain.catalog import ModelType
from switchboard.domain.completions import MAX_REPORTED_TOKENS, reported_count, reported_usage
from switchboard.errors import InsufficientCreditsError
from tests.support.ledger import hold as held
from tests.unit.test_money import model

CHAT = model()  # $1.50 in, $2.00 out per million tokens
PAYER = User("usr_rules", "r@example.com", "R", "R", Role.USER, "maker", datetime.now(UTC))
EMBED = replace(model(20_000, 0), type=ModelType.EMBEDDING)


def test_the_worst_case_is_every_choices_output_limit_plus_the_prompt() -> None:
    assert worst_case(CHAT, 8, 100, 3) == worst_case(CHAT, 8, 300, 1)
    case = worst_case(CHAT, 8, 100, 3)
    assert (case.amount_micro_usd, case.tokens, case.cap) == (
        CHAT.cost_micro_usd(8, 300),
        308,
        None,
    )
    assert worst_case(CHAT, 8, None, 1).tokens == 8 + FALLBACK_OUTPUT_TOKENS
    assert worst_case(EMBED, 50, None, 1).tokens == 50  # embeddings: the input alone


def test_without_max_tokens_a_small_balance_is_served_what_it_affords_for_each_choice() -> None:
    hold = affordable_hold(CHAT, 8, None, 2, available=400)
    assert hold.cap == (400 - 12) // 2 // 2  # 8 prompt tokens cost 12; 2 per output token
    assert hold.amount_micro_usd <= 400 and hold.tokens == 8 + 2 * hold.cap
    assert CHAT.cost_micro_usd(8, 2 * (hold.cap + 1)) > 400


@pytest.mark.parametrize(
    ("requested", "available"),
    [(100, 100), (None, 12), (None, 0)],  # max_tokens set; the prompt alone; nothing
    ids=["max-tokens-set", "only-the-prompt", "empty"],
)
def test_otherwise_the_402_says_what_would_fit(requested: int | None, available: int) -> None:
    with pytest.raises(InsufficientCreditsError) as refused:
        affordable_hold(CHAT, 8, requested, 1, available)
    error = refused.value
    assert error.required_usd == f"0.{worst_case(CHAT, 8, requested, 1).amount_micro_usd:06d}"
    assert error.available_usd == f"0.{available:06d}"
    fits = error.max_affordable_tokens
    assert CHAT.cost_micro_usd(8, fits) <= max(available, CHAT.cost_micro_usd(8, 0))
    assert str(error) == error.message


def test_an_embedding_the_balance_cannot_pay_says_how_many_input_tokens_would_fit() -> None:
    error = unaffordable(EMBED, 1_000, None, 1, available=1)
    assert error.max_affordable_tokens == 50  # 1 micro-USD at $0.02 per million tokens
    assert "Add credits" in error.message


def test_a_settlement_bills_the_cost_up_to_the_hold_and_counts_no_more_tokens() -> None:
    hold = replace(held(PAYER, CHAT.cost_micro_usd(8, 10)), tokens=18)
    within = charge_for(CHAT, hold, 8, 5)
    assert (within.billed_micro_usd, within.unbilled_micro_usd, within.counted_tokens) == (
        CHAT.cost_micro_usd(8, 5), 0, 13,
    )  # fmt: skip
    beyond = charge_for(CHAT, hold, 8, 2_000)
    assert beyond.billed_micro_usd == hold.amount_micro_usd
    assert beyond.unbilled_micro_usd == CHAT.cost_micro_usd(8, 2_000) - hold.amount_micro_usd
    assert beyond.counted_tokens == 18


@pytest.mark.parametrize(
    ("value", "count"),
    [(12, 12), (12.0, 12), (0, 0), (-1, None), (1.5, None), ("12", None), (True, None),
     (None, None), (MAX_REPORTED_TOKENS, MAX_REPORTED_TOKENS), (MAX_REPORTED_TOKENS + 1, None)],
)  # fmt: skip
def test_an_upstreams_token_count_is_a_count_or_nothing(value: object, count: int | None) -> None:
    assert reported_count(value) == count


def test_usage_with_one_bad_count_is_no_usage() -> None:
    assert reported_usage(10, 20) is not None
    assert reported_usage(10, -20) is None and reported_usage("10", 20) is None
