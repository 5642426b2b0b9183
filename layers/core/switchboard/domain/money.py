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
MAX_USD_DIGITS = 9  # below a billion dollars (10**9): anything larger is a typo


def format_usd(micro_usd: int) -> str:
    sign = "-" if micro_usd < 0 else ""
    whole, micro = divmod(abs(micro_usd), MICRO_USD_PER_USD)
    return f"{sign}{whole}.{micro:06d}"


def parse_usd(value: object, *, param: str, allow_negative: bool = False) -> int:
    """A USD amount from JSON (a decimal string or a number) as exact micro-USD.

    More than six decimals would be silently rounded money: refused instead. The size is
    judged by the exponent before any arithmetic, so "1e999999999999" is refused as too
    large rather than overflowing decimal's context."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequestError(
            f'{param} must be a USD amount such as "12.50".', param=param, code="invalid_value"
        )
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):  # ValueError: an int beyond str()'s digit limit
        amount = Decimal("NaN")
    if not amount.is_finite() or (not amount.is_zero() and amount.adjusted() >= MAX_USD_DIGITS):
        raise InvalidRequestError(
            f"{param} is not a valid USD amount below $1,000,000,000: {_shown(value)}.",
            param=param,
            code="invalid_value",
        )
    if amount.is_zero():
        return 0
    sign, digits, exponent = amount.as_tuple()  # exact integers: no context, no rounding
    significant = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(significant)  # type: ignore[operator]
    if exponent < -6:
        raise InvalidRequestError(
            f"{param} has more than six decimals: {_shown(value)}.",
            param=param,
            code="invalid_value",
        )
    if sign and not allow_negative:
        raise InvalidRequestError(
            f"{param} must not be negative.", param=param, code="invalid_value"
        )
    micro: int = int(significant) * 10 ** (exponent + 6)
    return -micro if sign else micro


def _shown(value: object) -> str:
    """The value as the caller sent it, shortened for a message."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond str()'s digit limit
        return "a number of thousands of digits"
    return text if len(text) <= 40 else text[:37] + "..."


def usd_to_micro(usd: int) -> int:
    """Whole dollars as micro-USD."""
    return usd * MICRO_USD_PER_USD


def token_balance(micro_usd: int) -> int:
    return max(micro_usd, 0) // MICRO_USD_PER_DISPLAY_TOKEN
