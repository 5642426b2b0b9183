"""Money as strings, credit rules and plan limits: exact integers, stated rules."""

from __future__ import annotations

import pytest

from switchboard.domain.billing import max_affordable_input, max_affordable_output
from switchboard.domain.catalog import ModelEntry, ModelType, ProviderConfig, ProviderKind
from switchboard.domain.limits import DEFAULT_PLANS, RateLimits, load_plans, window_of
from switchboard.domain.money import format_usd, parse_usd, token_balance
from switchboard.errors import InvalidRequestError


def model(input_price: int = 1_500_000, output_price: int = 2_000_000) -> ModelEntry:
    return ModelEntry(
        id="m",
        name="m",
        type=ModelType.CHAT,
        provider=ProviderConfig("p", ProviderKind.LOCAL),
        upstream_model="m",
        input_micro_usd_per_mtok=input_price,
        output_micro_usd_per_mtok=output_price,
    )


@pytest.mark.parametrize(
    ("micro", "text"),
    [(0, "0.000000"), (1, "0.000001"), (12_345_678, "12.345678"), (-5, "-0.000005")],
)
def test_format_usd_shows_the_exact_integer(micro: int, text: str) -> None:
    assert format_usd(micro) == text


@pytest.mark.parametrize(
    ("value", "micro"), [("12.345678", 12_345_678), (5, 5_000_000), (0.5, 500_000), ("1e-6", 1)]
)
def test_parse_usd_is_exact(value: object, micro: int) -> None:
    assert parse_usd(value, param="x") == micro


@pytest.mark.parametrize(
    "value",
    [
        "1.0000001",
        "abc",
        "NaN",
        "Infinity",
        True,
        None,
        [1],
        "-1",
        "1e999999999999",  # decimal.Overflow once, a 500
        "-1e999999999999",
        "1e-999999999",
        "1.000000000000000000000000000000001",  # rounds to 1 in decimal's 28 digits
        "1000000000",
        10**5000,  # beyond str()'s 4,300 digits
    ],
    ids=lambda value: "10**5000" if isinstance(value, int) and value > 10**9 else repr(value),
)
def test_parse_usd_refuses_what_is_not_exact_money(value: object) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_usd(value, param="credits_usd")
    assert refused.value.param == "credits_usd"


def test_parse_usd_keeps_every_exact_amount_below_a_billion() -> None:
    assert parse_usd("999999999.999999", param="x") == 999_999_999_999_999
    assert parse_usd("12.3400000", param="x") == 12_340_000
    assert parse_usd("0e99999999999", param="x") == 0


def test_negative_amounts_only_where_allowed() -> None:
    assert parse_usd("-2.5", param="x", allow_negative=True) == -2_500_000


def test_token_balance_is_one_token_per_micro_usd() -> None:
    assert token_balance(12_345_678) == 12_345_678
    assert token_balance(-3) == 0


def test_cost_is_the_ceiling_of_the_exact_sum() -> None:
    # 7 x 1.5 + 3 x 2.0 = 16.5 micro-USD -> 17, not 11 + 6 rounded separately.
    assert model().cost_micro_usd(7, 3) == 17


@pytest.mark.parametrize("available", [0, 1, 17, 1000, 123_457])
def test_max_affordable_output_is_the_largest_affordable(available: int) -> None:
    entry = model()
    n = max_affordable_output(entry, 7, available)
    if entry.cost_micro_usd(7, 0) > available:
        assert n == 0
    else:
        assert entry.cost_micro_usd(7, n) <= available < entry.cost_micro_usd(7, n + 1)


def test_max_affordable_input() -> None:
    entry = model()
    n = max_affordable_input(entry, 1000)
    assert entry.cost_micro_usd(n, 0) <= 1000 < entry.cost_micro_usd(n + 1, 0)


def test_plans_default_and_configured() -> None:
    assert load_plans("") == DEFAULT_PLANS
    assert DEFAULT_PLANS["maker"] == RateLimits(30, 15_000)
    assert DEFAULT_PLANS["builder"] == RateLimits(120, 100_000)
    custom = load_plans('{"maker": {"requests_per_minute": 5, "tokens_per_minute": 50}}')
    assert custom == {"maker": RateLimits(5, 50)}


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        '{"builder": {"requests_per_minute": 5, "tokens_per_minute": 50}}',
        '{"maker": {"requests_per_minute": 0, "tokens_per_minute": 50}}',
        '{"maker": {"requests_per_minute": 5}}',
    ],
)
def test_malformed_plans_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="PLAN_LIMITS"):
        load_plans(text)


def test_windows_are_utc_minutes() -> None:
    assert window_of(1_795_521_659.9) == ("202611241200", 1_795_521_660)
    assert window_of(1_795_521_660) == ("202611241201", 1_795_521_720)
