"""S3 Vectors' metadata filter language, evaluated on one vector's metadata (for the
emulator's QueryVectors, local/moto_s3vectors.py).

    {"genre": "drama"}                          implicit $eq
    {"year": {"$gte": 2020, "$lt": 2025}}       several operators on a key: all must hold
    {"$and": [...]}, {"$or": [...]}             non-empty lists of filters
    {"a": 1, "b": 2}                            several keys: all must hold

$eq, $ne (string, number, boolean), $gt, $gte, $lt, $lte (number), $in, $nin (non-empty list
of those), $exists (boolean). A list-valued field matches $eq or $in when any of its elements
does, as AWS documents. A missing key fails every operator but `$exists: false`, `$ne` and
`$nin` (the emulator's reading: AWS does not document it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MISSING = object()


class FilterError(ValueError):
    """A filter S3 Vectors would refuse (answered as ValidationException)."""


def matches(query_filter: Any, metadata: dict[str, Any]) -> bool:
    if not isinstance(query_filter, dict) or not query_filter:
        raise FilterError("Invalid query filter: a filter is a non-empty object")
    return all(_clause(key, operand, metadata) for key, operand in query_filter.items())


def _clause(key: str, operand: Any, metadata: dict[str, Any]) -> bool:
    if key in ("$and", "$or"):
        if not isinstance(operand, list) or not operand:
            raise FilterError(f"Invalid query filter: {key} takes a non-empty array of filters")
        results = (matches(f, metadata) for f in operand)
        return all(results) if key == "$and" else any(results)
    if key.startswith("$"):
        raise FilterError(f"Invalid query filter: unknown operator {key}")
    value = metadata.get(key, _MISSING)
    if isinstance(operand, dict):
        if not operand:
            raise FilterError(f"Invalid query filter: no operator for {key}")
        return all(_apply(op, argument, value) for op, argument in operand.items())
    return _apply("$eq", operand, value)


def _apply(op: str, argument: Any, value: Any) -> bool:
    check = _OPERATORS.get(op)
    if check is None:
        raise FilterError(f"Invalid query filter: unknown operator {op}")
    return check(argument, value)


def _is_primitive(x: Any) -> bool:
    return isinstance(x, str | bool | int | float)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from numbers (True is not 1 in a filter)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and a == b


def _elements(value: Any) -> list[Any]:
    if value is _MISSING:
        return []
    return list(value) if isinstance(value, list) else [value]


def _eq(argument: Any, value: Any) -> bool:
    if not _is_primitive(argument):
        raise FilterError("Invalid query filter: $eq takes a string, number or boolean")
    return any(_same(v, argument) for v in _elements(value))


def _in(argument: Any, value: Any) -> bool:
    if not isinstance(argument, list) or not argument or not all(map(_is_primitive, argument)):
        raise FilterError("Invalid query filter: $in and $nin take a non-empty array of values")
    return any(_same(v, a) for v in _elements(value) for a in argument)


def _compare(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def check(argument: Any, value: Any) -> bool:
        if not _is_number(argument):
            raise FilterError("Invalid query filter: $gt, $gte, $lt and $lte take a number")
        return any(_is_number(v) and test(v, argument) for v in _elements(value))

    return check


def _exists(argument: Any, value: Any) -> bool:
    if not isinstance(argument, bool):
        raise FilterError("Invalid query filter: $exists takes a boolean")
    return (value is not _MISSING) is argument


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": _eq,
    "$ne": lambda argument, value: not _eq(argument, value),
    "$gt": _compare(lambda v, a: v > a),
    "$gte": _compare(lambda v, a: v >= a),
    "$lt": _compare(lambda v, a: v < a),
    "$lte": _compare(lambda v, a: v <= a),
    "$in": _in,
    "$nin": lambda argument, value: not _in(argument, value),
    "$exists": _exists,
}
