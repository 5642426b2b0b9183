"""The emulator's fast path for the DynamoDB requests a gateway makes on every call:
GetItem, PutItem, UpdateItem, DeleteItem and TransactWriteItems, on moto's own tables; and
BatchGetItem (a batch line worker's, local/dynamodb_reads.py).

moto answers one of these in 4 to 8 ms (it parses every expression twice, deep-copies the
item and the expression tree, and builds its answer through a generic serializer); here
they take a few tenths of a millisecond. The data stays moto's (the same tables, items and
types), conditions are evaluated by moto's code (local/dynamodb_expressions.py), and every
request whose shape or outcome is unusual is handed back (`answer` returns None) before
anything is written, for moto to run as before: a failed condition, a validation error, a
nested path, a stream on the table, a nested projection, consumed-capacity reports. So an
error is always moto's own, and a contract test (tests/local/test_dynamodb_fast_path.py)
holds the two paths to the same answers and the same items.

`answer` must be called under moto_dynamodb's lock, as moto's own handler is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.responses import DynamoHandler

from switchboard.local import dynamodb_items as items
from switchboard.local import dynamodb_queries, dynamodb_reads
from switchboard.local.dynamodb_expressions import (
    Conditions,
    Unsupported,
    update_plan,
)

_RETURN_VALUES = {"NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"}
_GET_ITEM = {"TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity", "ProjectionExpression",
             "ExpressionAttributeNames"}  # fmt: skip
_conditions = Conditions()
STATS: Counter[str] = Counter()  # requests answered here, and why others went to moto


@dataclass
class _Write:
    """One prepared write: the item at `key` becomes `item` (None: deleted)."""

    table: Any
    key: tuple[DynamoType, DynamoType | None]
    old: Item | None
    item: Item | None
    targets: tuple[str, ...] = ()  # the attributes an update names

    def apply(self) -> None:
        hash_key, range_key = self.key
        items = self.table.items
        if self.item is None:
            if range_key is None:
                items.pop(hash_key, None)
            else:
                items.get(hash_key, {}).pop(range_key, None)
        elif range_key is None:
            items[hash_key] = self.item
        else:
            items[hash_key][range_key] = self.item
        dynamodb_queries.track(self.table, self.key, self.item)


def answer(
    operation: str, body: dict[str, Any], account: str, region: str
) -> dict[str, Any] | None:
    """The response to this request, written; or None (nothing written) for moto to run it."""
    handler = _OPERATIONS.get(operation)
    if handler is None or body.get("ReturnConsumedCapacity", "NONE") != "NONE":
        return None
    try:
        backend = dynamodb_backends[account][region]
        response = handler(backend, body)
    except Unsupported as exc:
        STATS[f"moto: {operation}: {exc}"] += 1
        return None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        STATS[f"moto: {operation}: {type(exc).__name__}"] += 1  # a shape not foreseen here
        return None
    STATS[f"fast: {operation}"] += 1
    return response


def _get_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    _only(body, _GET_ITEM)
    projection = dynamodb_reads.projections(
        body.get("ProjectionExpression"), body.get("ExpressionAttributeNames")
    )
    item = _read(backend, body["TableName"], body["Key"])
    return {"Item": dynamodb_reads.attributes(item, projection)} if item is not None else {}


def _batch_get_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    return dynamodb_reads.batch_get_item(body, lambda table, key: _read(backend, table, key))


def _read(backend: Any, table_name: str, key: dict[str, Any]) -> Item | None:
    table = _table(backend, {"TableName": table_name})
    return table.get_item(*_key(table, key))  # type: ignore[no-any-return]


def _put_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    return _applied(_prepare_put(backend, body), body)


def _delete_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    return _applied(_prepare_delete(backend, body), body)


def _applied(write: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a prepared put or delete; the old item if ReturnValues asks for it."""
    return_values = body.get("ReturnValues", "NONE")
    if return_values not in ("NONE", "ALL_OLD"):
        raise Unsupported(return_values)
    write.apply()
    if return_values == "ALL_OLD" and write.old is not None:
        return {"Attributes": write.old.to_json()["Attributes"]}
    return {}


def _update_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    return_values = body.get("ReturnValues", "NONE")
    if return_values not in _RETURN_VALUES:
        raise Unsupported(return_values)
    write = _prepare_update(backend, body)
    write.apply()
    return _update_answer(return_values, write)


def _transact_write_items(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    operations = body["TransactItems"]
    if not 0 < len(operations) <= 100 or set(body) - {"TransactItems", "ClientRequestToken"}:
        raise Unsupported("transaction shape")
    writes: list[_Write] = []
    for operation in operations:
        if len(operation) != 1:
            raise Unsupported("transaction item")
        kind, request = next(iter(operation.items()))
        if "ReturnValuesOnConditionCheckFailure" in request:
            request = {
                k: v for k, v in request.items() if k != "ReturnValuesOnConditionCheckFailure"
            }
        prepare = _PREPARE.get(kind)
        if prepare is None:
            raise Unsupported(kind)
        writes.append(prepare(backend, request))
    keys = [(id(w.table), w.key) for w in writes]
    if len(set(keys)) != len(keys):
        raise Unsupported("two operations on one item")
    for write in writes:  # every condition held: nothing below can fail
        write.apply()
    return {}


# --- preparing writes (nothing is written until every check has passed) ----------------


def _prepare_put(backend: Any, request: dict[str, Any]) -> _Write:
    _only(request, {"TableName", "Item", "ConditionExpression", "ExpressionAttributeNames",
                    "ExpressionAttributeValues", "ReturnValues", "ReturnConsumedCapacity",
                    "ReturnItemCollectionMetrics"})  # fmt: skip
    table = _table(backend, request)
    attrs = request["Item"]
    key = _key(table, {k: attrs[k] for k in table.table_key_attrs if k in attrs})
    new, size = items.checked_attributes(table, attrs)
    old = table.get_item(*key)
    _check_condition(request, old, frozenset(), frozenset())
    return _Write(table, key, old, items.new_item(key, new, size))


def _prepare_delete(backend: Any, request: dict[str, Any]) -> _Write:
    _only(request, {"TableName", "Key", "ConditionExpression", "ExpressionAttributeNames",
                    "ExpressionAttributeValues", "ReturnValues", "ReturnConsumedCapacity",
                    "ReturnItemCollectionMetrics"})  # fmt: skip
    table = _table(backend, request)
    key = _key(table, request["Key"])
    old = table.get_item(*key)
    _check_condition(request, old, frozenset(), frozenset())
    return _Write(table, key, old, None)


def _prepare_condition_check(backend: Any, request: dict[str, Any]) -> _Write:
    _only(request, {"TableName", "Key", "ConditionExpression", "ExpressionAttributeNames",
                    "ExpressionAttributeValues"})  # fmt: skip
    table = _table(backend, request)
    key = _key(table, request["Key"])
    old = table.get_item(*key)
    if "ConditionExpression" not in request:
        raise Unsupported("a condition check without a condition")
    _check_condition(request, old, frozenset(), frozenset())
    return _Write(table, key, old, old)


def _prepare_update(backend: Any, request: dict[str, Any]) -> _Write:
    _only(request, {"TableName", "Key", "UpdateExpression", "ConditionExpression",
                    "ExpressionAttributeNames", "ExpressionAttributeValues", "ReturnValues",
                    "ReturnConsumedCapacity", "ReturnItemCollectionMetrics",
                    "ReturnValuesOnConditionCheckFailure"})  # fmt: skip
    table = _table(backend, request)
    key = _key(table, request["Key"])
    plan = update_plan(request.get("UpdateExpression") or "")
    if plan is None:
        raise Unsupported("update expression")
    old = table.get_item(*key)
    _check_condition(request, old, plan.names, plan.values)
    names = request.get("ExpressionAttributeNames", {})
    values = request.get("ExpressionAttributeValues", {})
    attrs = dict(old.attrs) if old is not None else _key_attrs(table, key)
    targets = [names[action.target] for action in plan.actions]
    if len(set(targets)) != len(targets) or set(targets) & set(table.table_key_attrs):
        raise Unsupported("overlapping paths or a key attribute")
    before = dict(attrs)
    for action, target in zip(plan.actions, targets, strict=True):
        items.run(action, target, before, attrs, names, values)
    items.check_new_values(table, {t: attrs[t] for t in targets if t in attrs})
    size = items.size(old) if old is not None else items.attrs_size(before)
    size += items.attrs_size(attrs, targets) - items.attrs_size(before, targets)
    return _Write(table, key, old, items.new_item(key, attrs, size), tuple(targets))


# --- checks, keys and answers --------------------------------------------------------------


def _only(request: dict[str, Any], allowed: set[str]) -> None:
    if set(request) - allowed:
        raise Unsupported(f"parameters {sorted(set(request) - allowed)}")


def _table(backend: Any, request: dict[str, Any]) -> Any:
    table = backend.tables.get(request.get("TableName"))
    if table is None or table.stream_shard is not None:
        raise Unsupported("no such table, or a table with a stream")
    return table


def _key(table: Any, key: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    names = table.table_key_attrs
    if set(key) != set(names):
        raise Unsupported("not the table's key")
    types = items.table_facts(table).declared
    for name in names:
        value = key[name]
        if (
            not isinstance(value, dict)
            or list(value) != [types.get(name)]
            or not value[types[name]]
        ):
            raise Unsupported("a key of the wrong type, or empty")
    if sum(len(str(v)) for v in key.values()) > 1024:
        raise Unsupported("a long key")  # moto checks its limits
    hash_name, range_name = table.hash_key_attr, table.range_key_attr
    hash_key = items.scalar(types[hash_name], key[hash_name][types[hash_name]])
    range_key = (
        items.scalar(types[range_name], key[range_name][types[range_name]]) if range_name else None
    )
    return hash_key, range_key


def _key_attrs(table: Any, key: tuple[DynamoType, DynamoType | None]) -> dict[str, DynamoType]:
    attrs = {table.hash_key_attr: key[0]}
    if key[1] is not None:
        attrs[table.range_key_attr] = key[1]
    return attrs


def _check_condition(
    request: dict[str, Any],
    item: Item | None,
    names_used: frozenset[str],
    values_used: frozenset[str],
) -> None:
    """Pass if the condition holds and every placeholder is used; else hand over to moto."""
    names = request.get("ExpressionAttributeNames", {})
    values = request.get("ExpressionAttributeValues", {})
    if ("ExpressionAttributeValues" in request and not values) or not isinstance(names, dict):
        raise Unsupported("empty values")
    expression = request.get("ConditionExpression")
    if expression:
        template = _conditions.template(expression, names, values)
        names_used |= template.names
        values_used |= template.values
    if not (set(names) <= names_used and set(values) <= values_used):
        raise Unsupported("unused placeholders")  # an undefined one fails a lookup
    if expression and not _conditions.bind(template, names, values).expr(item):
        raise Unsupported("the condition failed")  # moto reports it, with ALL_OLD if asked


def _update_answer(return_values: str, write: _Write) -> dict[str, Any]:
    """moto's answer to an update. Only the attributes the update names can have changed,
    so UPDATED_* look at those alone (the account item holds every open hold)."""
    if return_values == "NONE":
        return {}
    if return_values in ("ALL_OLD", "ALL_NEW"):
        item = write.old if return_values == "ALL_OLD" else write.item
        chosen = item.to_json()["Attributes"] if item is not None else {}
        return {"Attributes": chosen} if chosen else {}
    named = write.targets if write.old is not None else tuple(write.item.attrs)  # type: ignore[union-attr]
    before = items.attributes_json(write.old, named)
    after = items.attributes_json(write.item, named)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if return_values == "UPDATED_NEW":  # moto's own selection, nested maps included
        return {"Attributes": _UPDATED_NEW(_HANDLER, before, after)}
    chosen = {k: v for k, v in before.items() if k in changed}  # UPDATED_OLD
    return {"Attributes": chosen} if chosen else {}


_HANDLER = DynamoHandler.__new__(DynamoHandler)  # for a method that only recurses on itself
_UPDATED_NEW = DynamoHandler._build_updated_new_attributes


_OPERATIONS = {
    "GetItem": _get_item,
    "BatchGetItem": _batch_get_item,
    "PutItem": _put_item,
    "UpdateItem": _update_item,
    "DeleteItem": _delete_item,
    "TransactWriteItems": _transact_write_items,
}
_PREPARE = {
    "Put": _prepare_put,
    "Delete": _prepare_delete,
    "Update": _prepare_update,
    "ConditionCheck": _prepare_condition_check,
}
