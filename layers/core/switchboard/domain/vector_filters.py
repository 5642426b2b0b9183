"""A vector store file's attributes, the metadata its vectors carry in S3 Vectors, and
OpenAI's attribute filters in S3 Vectors' filter language (docs/vector-stores.md).

Attributes follow OpenAI's rules: at most 16 keys, keys at most 64 characters, values
strings (at most 512 characters), numbers or booleans. Each becomes the vector metadata key
`attr_<key>` (a prefix of letters and an underscore: S3 Vectors documents no rule for dots
in keys, which filter languages often read as paths), beside `file_id` and `chunk`; the
chunk's text is `text`, non-filterable. Filterable metadata is at most 2 KB per vector in
S3 Vectors, so attributes that would pass it are refused with 400.

    {"type": "eq", "key": "k", "value": v}         ->  {"attr_k": {"$eq": v}}
    (ne, gt, gte, lt, lte, in, nin likewise)
    {"type": "and" | "or", "filters": [...]}        ->  {"$and" | "$or": [...]}

gt, gte, lt and lte compare numbers (as S3 Vectors does); in and nin take a non-empty list
of strings and numbers. Anything else is a 400 naming `filters`.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.domain.validation import invalid_value
from switchboard.errors import InvalidRequestError

ATTRIBUTE_PREFIX = "attr_"
TEXT_KEY = "text"  # the chunk's text: non-filterable metadata
MAX_ATTRIBUTES = 16
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 512
MAX_FILTERABLE_BYTES = 2048  # S3 Vectors' filterable metadata per vector
MAX_FILTER_DEPTH = 8
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")
_NUMERIC = ("gt", "gte", "lt", "lte")
# the largest file id and chunk number a vector's filterable metadata also holds
_ROOM = len(json.dumps({"file_id": "file-" + "f" * 59, "chunk": 10**9}))

Attributes = dict[str, str | int | float | bool]


def check_attributes(value: Any) -> Attributes:
    """OpenAI's attribute rules, and room for them in a vector's filterable metadata."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_ATTRIBUTES:
        raise _bad_attributes(f"attributes is an object of at most {MAX_ATTRIBUTES} keys.")
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_CHARS:
            raise _bad_attributes(f"attribute keys are 1 to {MAX_KEY_CHARS} characters.")
        if not _valid_value(item):
            raise _bad_attributes(
                f"attribute '{key}' must be a string of at most {MAX_VALUE_CHARS} characters, "
                "a number or a boolean."
            )
    attributes: Attributes = dict(value)
    size = len(json.dumps(attribute_metadata(attributes), ensure_ascii=False).encode()) + _ROOM
    if size > MAX_FILTERABLE_BYTES:
        raise _bad_attributes(
            f"attributes take {size} bytes of filterable vector metadata; at most "
            f"{MAX_FILTERABLE_BYTES} bytes fit."
        )
    return attributes


def _valid_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_VALUE_CHARS
    return isinstance(value, bool | int | float) and value == value  # not NaN


def attribute_metadata(attributes: Attributes) -> dict[str, Any]:
    return {ATTRIBUTE_PREFIX + key: value for key, value in attributes.items()}


def vector_metadata(file_id: str, chunk: int, text: str, attributes: Attributes) -> dict[str, Any]:
    """The metadata of one chunk's vector."""
    return {"file_id": file_id, "chunk": chunk, TEXT_KEY: text, **attribute_metadata(attributes)}


def attributes_of(metadata: dict[str, Any]) -> dict[str, Any]:
    """A vector's attributes back from its metadata."""
    n = len(ATTRIBUTE_PREFIX)
    return {key[n:]: value for key, value in metadata.items() if key.startswith(ATTRIBUTE_PREFIX)}


def s3_filter(value: Any) -> dict[str, Any] | None:
    """An OpenAI filter (ComparisonFilter or CompoundFilter) as an S3 Vectors filter."""
    return None if value is None else _translate(value, 0)


def _translate(value: Any, depth: int) -> dict[str, Any]:
    if not isinstance(value, dict) or depth > MAX_FILTER_DEPTH:
        raise _bad_filter("a filter is an object, nested at most 8 deep")
    kind = value.get("type")
    if kind in ("and", "or"):
        parts = value.get("filters")
        if set(value) - {"type", "filters"} or not isinstance(parts, list) or not parts:
            raise _bad_filter(f"'{kind}' takes a non-empty list 'filters'")
        return {f"${kind}": [_translate(part, depth + 1) for part in parts]}
    if kind not in COMPARISONS:
        raise _bad_filter(f"unknown filter type {kind!r}")
    key, operand = value.get("key"), value.get("value")
    if set(value) - {"type", "key", "value"} or not isinstance(key, str) or not key:
        raise _bad_filter(f"'{kind}' takes a string 'key' and a 'value'")
    return {ATTRIBUTE_PREFIX + key: {f"${kind}": _operand(kind, operand)}}


def _operand(kind: str, operand: Any) -> Any:
    number = isinstance(operand, int | float) and not isinstance(operand, bool)
    if kind in _NUMERIC and not number:
        raise _bad_filter(f"'{kind}' compares numbers")
    if kind in ("in", "nin"):
        if not isinstance(operand, list) or not operand:
            raise _bad_filter(f"'{kind}' takes a non-empty list")
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in operand):
            raise _bad_filter(f"'{kind}' takes a list of strings and numbers")
        return list(operand)
    if not isinstance(operand, str | int | float):  # bool is an int
        raise _bad_filter(f"'{kind}' takes a string, number or boolean")
    return operand


def _bad_filter(reason: str) -> InvalidRequestError:
    return invalid_value(f"Invalid filters: {reason}.", "filters")


def _bad_attributes(message: str) -> InvalidRequestError:
    return invalid_value(message, "attributes")
