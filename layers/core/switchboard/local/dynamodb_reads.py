"""The emulator's fast path for reads with a projection: GetItem and BatchGetItem (a batch
line worker reads its batch and its line in one BatchGetItem, for every line).

moto's own handler answers these through Flask, its request parsing and its generic
serializer: about 20 ms each under a batch's load, a fifth of a line's time. Here moto's
parser reads the projection (top-level names only; any other shape goes to moto), moto's
table lookup finds each item (`read`, which checks the table and the key as GetItem's fast
path does), and the answer holds the attributes named, as stored (moto projects through a
round trip to plain JSON and back, which cost more than the rest of the request). What
moto would refuse (over 100 keys, duplicate keys, an unused or missing attribute name, a
table or key it does not know) is handed back to it, so the error is its own. Used by
local/dynamodb_fast_path.py, under moto_dynamodb's lock; held to moto's answers by
tests/local/test_dynamodb_fast_path.py.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.dynamodb.responses import ProjectionExpressionParser, validate_attributes_used

from switchboard.local.dynamodb_expressions import Unsupported

MAX_KEYS = 100
MAX_BYTES = 16 * 1024 * 1024  # more is answered in part (UnprocessedKeys): moto's own way
_REQUEST = {"Keys", "ConsistentRead", "ProjectionExpression", "ExpressionAttributeNames"}


def batch_get_item(body: dict[str, Any], read: Any) -> dict[str, Any]:
    """BatchGetItem as moto answers it. `read(table_name, key)` is one item (None if
    absent), the table and key checked as GetItem's are."""
    if set(body) - {"RequestItems", "ReturnConsumedCapacity"}:
        raise Unsupported("a BatchGetItem parameter")
    tables = body["RequestItems"]
    if sum(len(request["Keys"]) for request in tables.values()) > MAX_KEYS:
        raise Unsupported("too many keys")
    responses: dict[str, list[Any]] = {}
    size = 0
    for name, request in tables.items():
        if set(request) - _REQUEST or "AttributesToGet" in request:
            raise Unsupported("a BatchGetItem request parameter")
        keys = request["Keys"]
        if any(key in keys[:n] for n, key in enumerate(keys)):
            raise Unsupported("duplicate keys")
        projection = projections(
            request.get("ProjectionExpression"), request.get("ExpressionAttributeNames")
        )
        found = responses[name] = []
        for key in keys:
            item = read(name, key)
            if item is None:
                continue
            size += item.size()
            if size > MAX_BYTES:
                raise Unsupported("an answer over 16 MB")
            found.append(attributes(item, projection))
    return {"Responses": responses, "UnprocessedKeys": {}}


def attributes(item: Any, projection: tuple[str, ...] | None) -> dict[str, Any]:
    """The item's attributes as DynamoDB's JSON: those named, or all."""
    attrs: dict[str, Any] = item.to_json()["Attributes"]
    if projection is None:
        return attrs
    return {name: attrs[name] for name in projection if name in attrs}


def projections(expression: str | None, names: dict[str, str] | None) -> tuple[str, ...] | None:
    """The top-level attributes a projection names, as moto's parser reads it (None: no
    projection)."""
    if expression is None or names == {}:
        if names is not None:
            raise Unsupported("attribute names without an expression, or none")
        return None
    return _parsed(expression, tuple(sorted((names or {}).items())))


@functools.lru_cache(maxsize=256)
def _parsed(expression: str, names: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    if "." in expression or "[" in expression:
        raise Unsupported("a nested projection")
    try:
        parser = ProjectionExpressionParser(expression, dict(names))
        parsed = parser.parse()
        validate_attributes_used(dict(names), parser.expr_attr_names_found, "Names", False)
    except Exception as exc:
        raise Unsupported("moto refuses this projection") from exc
    return tuple(path[0] for path in parsed)
