"""Money as the ledger holds it: integer micro-USD (1 USD = 1,000,000), shown as USD strings.

Every amount in a response is a decimal string with exactly six decimals ("12.345678"), so
it is the ledger's integer, never a rounded float. `token_balance` is a display figure
derived by one stated rule: one token per micro-USD ($1 = 1,000,000 tokens).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from switchboard.errors import InvalidRequestError

MICRO_USD_PER_USD = 1_000_000
MICRO_USD_PER_DISPLAY_TOKEN = 1
MAX_USD = Decimal(10) ** 9  # a billion dollars: anything larger is a typo


def format_usd(micro_usd: int) -> str:
    sign = "-" if micro_usd < 0 else ""
    whole, micro = divmod(abs(micro_usd), MICRO_USD_PER_USD)
    return f"{sign}{whole}.{micro:06d}"


def parse_usd(value: object, *, param: str, allow_negative: bool = False) -> int:
    """A USD amount from JSON (a decimal string or a number) as exact micro-USD.

    More than six decimals would be silently rounded money: refused instead."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequestError(
            f'{param} must be a USD amount such as "12.50".', param=param, code="invalid_value"
        )
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or abs(amount) >= MAX_USD:
        raise InvalidRequestError(
            f"{param} is not a valid USD amount: {value!r}.", param=param, code="invalid_value"
        )
    micro = amount * MICRO_USD_PER_USD
    if micro != micro.to_integral_value():
        raise InvalidRequestError(
            f"{param} has more than six decimals: {value!r}.", param=param, code="invalid_value"
        )
    if micro < 0 and not allow_negative:
        raise InvalidRequestError(
            f"{param} must not be negative.", param=param, code="invalid_value"
        )
    return int(micro)


def token_balance(micro_usd: int) -> int:
    return max(micro_usd, 0) // MICRO_USD_PER_DISPLAY_TOKEN
