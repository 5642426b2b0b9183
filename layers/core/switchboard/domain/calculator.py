"""The calculator tool's arithmetic: an expression parsed by Python's `ast` and walked with a
whitelist, never `eval`. Exact where it can be: integers and decimals are Fractions, so
`0.1 + 0.2` is `0.3`; functions (sqrt, log, sin ...) and fractional powers give floats.

    evaluate("2 ** 10 + 15% of 200")   ->  "1054"     ("15%" is 0.15; "of" multiplies)
    evaluate("10 ** 10000000")         ->  CalculationError, at once

Sizes are bounded before computing: an expression over MAX_EXPRESSION_CHARS, a power whose
result would pass MAX_RESULT_DIGITS digits, a factorial above MAX_FACTORIAL are refused
without being computed (a 10-million-digit power would take seconds and megabytes).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from fractions import Fraction

MAX_EXPRESSION_CHARS = 500
MAX_RESULT_DIGITS = 1_000
MAX_FACTORIAL = 450  # 450! has 1,001 digits
MAX_DEPTH = 50
# A percent sign is a percentage unless an operand follows it (then it is modulo: 7 % 3).
_PERCENT = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*%(?!\s*[\w(.])")
Number = Fraction | float


class CalculationError(ValueError):
    """An expression the calculator will not evaluate; the message says why, for the model."""


def _real(fn: Callable[[float], float]) -> Callable[[Number], Number]:
    return lambda x: fn(float(x))


FUNCTIONS: dict[str, Callable[[Number], Number]] = {
    "sqrt": _real(math.sqrt),
    "log": _real(math.log),
    "ln": _real(math.log),
    "log10": _real(math.log10),
    "log2": _real(math.log2),
    "exp": _real(math.exp),
    "sin": _real(math.sin),
    "cos": _real(math.cos),
    "tan": _real(math.tan),
    "asin": _real(math.asin),
    "acos": _real(math.acos),
    "atan": _real(math.atan),
    "abs": lambda x: -x if x < 0 else x,
    "round": lambda x: Fraction(round(x)),
    "floor": lambda x: Fraction(math.floor(x)),
    "ceil": lambda x: Fraction(math.ceil(x)),
    "factorial": lambda x: _factorial(x),
}
CONSTANTS: dict[str, Number] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def evaluate(expression: str) -> str:
    """The value of `expression` as text: an integer, an exact decimal, or a float."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculationError(f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.")
    text = _normalise(expression)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise CalculationError(f"Not an arithmetic expression: {expression!r}.") from None
    try:
        return show(_walk(tree.body, 0))
    except ZeroDivisionError:
        raise CalculationError("Cannot compute it: division by zero.") from None
    except OverflowError:
        raise CalculationError("Cannot compute it: the result is too large.") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, CalculationError):
            raise
        raise CalculationError(f"Cannot compute it: {exc}.") from None


def _normalise(expression: str) -> str:
    text = expression.strip().replace("\u00d7", "*").replace("\u00f7", "/").replace("^", "**")
    text = re.sub(r"\bof\b", "*", text)
    return _PERCENT.sub(r"(\1/100)", text)


def _walk(node: ast.expr, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise CalculationError("The expression is nested too deeply.")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _walk(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return _binary(node.op, _walk(node.left, depth + 1), _walk(node.right, depth + 1))
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = FUNCTIONS.get(node.func.id)
        if function is None or len(node.args) != 1 or node.keywords:
            raise CalculationError(f"Unknown function: {node.func.id}.")
        return function(_walk(node.args[0], depth + 1))
    raise CalculationError(f"Not allowed in an expression: {ast.unparse(node)!r}.")


def _binary(op: ast.operator, left: Number, right: Number) -> Number:
    if isinstance(op, ast.Add):
        return left + right
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.Mult):
        _check_size(_digits(left) + _digits(right))
        return left * right
    if isinstance(op, ast.Div):
        return left / right
    if isinstance(op, ast.FloorDiv):
        return Fraction(left // right)
    if isinstance(op, ast.Mod):
        return left % right
    if isinstance(op, ast.Pow):
        return _power(left, right)
    raise CalculationError("Only + - * / // % and ** are allowed.")


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, Fraction) and exponent.denominator == 1 and isinstance(base, Fraction):
        size = _digits(base) * abs(exponent.numerator) if abs(base) != 1 else 1
        _check_size(size)
        return base**exponent.numerator
    if abs(float(exponent)) * math.log10(max(abs(float(base)), 1e-300)) > 308:
        raise CalculationError("The result is too large.")
    result: object = float(base) ** float(exponent)
    if not isinstance(result, float):
        raise CalculationError("The result is not a real number.")
    return result


def _factorial(value: Number) -> Number:
    if not (isinstance(value, Fraction) and value.denominator == 1 and value >= 0):
        raise CalculationError("factorial takes a non-negative integer.")
    if value > MAX_FACTORIAL:
        raise CalculationError(f"factorial is limited to {MAX_FACTORIAL}.")
    return Fraction(math.factorial(int(value)))


def _digits(value: Number) -> int:
    if isinstance(value, float):
        return 1
    return max(value.numerator.bit_length(), value.denominator.bit_length()) * 30103 // 100000 + 1


def _check_size(digits: int) -> None:
    if digits > MAX_RESULT_DIGITS:
        raise CalculationError(f"The result would have more than {MAX_RESULT_DIGITS} digits.")


def show(value: Number) -> str:
    """An integer as digits, a terminating fraction as an exact decimal, else a float."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise CalculationError("The result is not a finite number.")
        return repr(value) if not value.is_integer() else str(int(value))
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return repr(float(value))
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    whole, fraction = divmod(scaled, 10**places)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{fraction:0{places}d}".rstrip("0")
