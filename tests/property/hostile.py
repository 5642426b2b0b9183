"""Hostile JSON: values and raw texts a well-behaved client never sends.

A body is built as a Python value and written by `dumps`, which can also write what Python's
json module cannot: `Raw` tokens go out verbatim (`1e999999999999`, `NaN`, a 5000-digit
integer). With `ensure_ascii` a lone surrogate goes out as the escape `\\ud800`, which is valid
JSON text that decodes to a string no UTF-8 encoder accepts; without it, `encode` writes the
surrogate's bytes as they are, which is not UTF-8 at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# Nesting that a recursive parser or serializer cannot follow on a default stack, and nesting
# that it can, but only just.
DEEP = 10_000
SHALLOW_DEEP = 1_000
# Python refuses to parse integers longer than this (sys.int_info.default_max_str_digits).
INT_DIGITS_LIMIT = 4_300
SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")


@dataclass(frozen=True)
class Raw:
    """A token written into the JSON text as it is."""

    text: str

    def __repr__(self) -> str:
        if len(self.text) <= 40:
            return f"Raw({self.text!r})"
        return f"Raw({self.text[:12]!r} + ... {len(self.text)} characters)"


# Numbers a JSON parser may turn into inf, nan, or an integer too long to convert.
HUGE_NUMBERS = {
    "1e999999999999": Raw("1e999999999999"),
    "-1e999999999999": Raw("-1e999999999999"),
    "NaN": Raw("NaN"),
    "long-int": Raw("9" * (INT_DIGITS_LIMIT + 1)),
}


def dumps(value: Any, *, ensure_ascii: bool = True) -> str:
    """JSON text for `value`; `Raw` leaves go in verbatim, surrogates stay lone."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        parts = (
            f"{_dumps(str(k), ensure_ascii)}: {_dumps(v, ensure_ascii)}" for k, v in value.items()
        )
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dumps(v, ensure_ascii) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


def _dumps(value: Any, ensure_ascii: bool) -> str:
    return dumps(value, ensure_ascii=ensure_ascii)


def encode(text: str, encoding: str) -> bytes:
    """`utf-8` keeps lone surrogates as their (invalid) bytes; `latin-1` is not UTF-8 either."""
    if encoding == "latin-1":
        return text.encode("latin-1", "replace")
    return text.encode("utf-8", "surrogatepass")


def deep_array() -> bytes:
    return b"[" * DEEP


def deep_object() -> bytes:
    return b'{"a":' * DEEP


def nested(depth: int) -> Raw:
    """A valid value nested `depth` objects deep: {"a": {"a": ... 1 ...}}."""
    return Raw('{"a": ' * depth + "1" + "}" * depth)


# --- strategies ----------------------------------------------------------------------------

surrogate_text = st.lists(
    st.one_of(st.characters(), st.sampled_from(SURROGATES)), min_size=1, max_size=8
).map("".join)

hostile_strings = st.one_of(
    st.sampled_from(["", " ", "\x00", "\u2028", "\ufeff", "null", "-1", "1e999999999999"]),
    surrogate_text,
    st.integers(1, 10_000).map(lambda n: "x" * n),
)

hostile_numbers = st.one_of(
    st.sampled_from(list(HUGE_NUMBERS.values())),
    st.sampled_from([Raw("Infinity"), Raw("-Infinity"), Raw("-0"), Raw("1e-999999")]),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 1e308, -1e308, 5e-324, 0, -1]),
)

hostile_scalars = st.one_of(st.none(), st.booleans(), hostile_strings, hostile_numbers)

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        hostile_scalars,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=10), surrogate_text), children, max_size=4),
    ),
    max_leaves=20,
)

hostile_values = st.one_of(
    hostile_scalars,
    json_values,
    st.integers(2, SHALLOW_DEEP + 200).map(nested),
)

encodings = st.sampled_from(["escaped", "utf-8", "latin-1"])


def serialize(value: Any, encoding: str) -> bytes:
    return encode(dumps(value, ensure_ascii=encoding == "escaped"), encoding)
