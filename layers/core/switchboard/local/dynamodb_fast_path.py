"""The emulator's fast path for the DynamoDB requests a gateway makes on every call:
GetItem, PutItem, UpdateItem, DeleteItem and TransactWriteItems, on moto's own tables.

moto answers one of these in 4 to 8 ms (it parses every expression twice, deep-copies the
item and the expression tree, and builds its answer through a generic serializer); here
they take a few tenths of a millisecond. The data stays moto's (the same tables, items and
types), conditions are evaluated by moto's code (local/dynamodb_expressions.py), and every
request whose shape or outcome is unusual is handed back (`answer` returns None) before
anything is written, for moto to run as before: a failed condition, a validation error, a
nested path, a stream on the table, projections, consumed-capacity reports. So an error is
always moto's own, and a contract test (tests/local/test_dynamodb_fast_path.py) holds
the two paths to the same answers and the same items.

`answer` must be called under moto_dynamodb's lock, as moto's own handler is.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.responses import (
    DynamoHandler,
    validate_put_has_empty_attrs,
    validate_put_has_empty_keys,
    validate_put_has_gsi_keys_set_to_none,
)

from switchboard.local import dynamodb_queries
from switchboard.local.dynamodb_expressions import (
    Action,
    Conditions,
    Unsupported,
    update_plan,
)

_ITEM_LIMIT = 400_000  # bytes; moto refuses an item past about 405 KB
_SIZE = "_switchboard_size"  # an item's size, kept on it
_RETURN_VALUES = {"NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"}
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
    if set(body) - {"TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"}:
        raise Unsupported("projection")
    table = _table(backend, body)
    item = table.get_item(*_key(table, body["Key"]))
    return {"Item": item.to_json()["Attributes"]} if item is not None else {}


def _put_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    write = _prepare_put(backend, body)
    return_values = body.get("ReturnValues", "NONE")
    if return_values not in ("NONE", "ALL_OLD"):
        raise Unsupported(return_values)
    write.apply()
    if return_values == "ALL_OLD" and write.old is not None:
        return {"Attributes": write.old.to_json()["Attributes"]}
    return {}


def _delete_item(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    write = _prepare_delete(backend, body)
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
    new = _check_attributes(table, attrs)
    old = table.get_item(*key)
    _check_condition(request, old, frozenset(), frozenset())
    size = sum(_attr_size(name, value) for name, value in new.items())
    return _Write(table, key, old, _item(key, new, size))


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
        _run(action, target, before, attrs, names, values)
    _check_new_values(table, {t: attrs[t] for t in targets if t in attrs})
    size = _size(old) if old is not None else sum(_attr_size(k, v) for k, v in before.items())
    size += sum(_attr_size(t, attrs.get(t)) - _attr_size(t, before.get(t)) for t in targets)
    return _Write(table, key, old, _item(key, attrs, size), tuple(targets))


# --- update actions ----------------------------------------------------------------------


def _run(
    action: Action,
    target: str,
    before: dict[str, DynamoType],
    attrs: dict[str, DynamoType],
    names: dict[str, str],
    values: dict[str, Any],
) -> None:
    if action.clause == "REMOVE":
        attrs.pop(target, None)
    elif action.clause == "SET":
        attrs[target] = _set_value(action.value, before, names, values, target)
    elif action.clause == "ADD":
        attrs[target] = _add(before.get(target), _value(action.value, values))
    else:  # DELETE
        remaining = _delete(before.get(target), _value(action.value, values))
        if remaining is None:
            attrs.pop(target, None)
        else:
            attrs[target] = remaining


def _set_value(operand: Any, before: dict[str, DynamoType], names: dict[str, str],
               values: dict[str, Any], target: str) -> DynamoType:  # fmt: skip
    """The value to SET; an attribute's own value is reused, another's is copied (moto
    changes nested values in place, and two attributes must not share one)."""
    kind = operand[0]
    if kind in ("+", "-"):
        left = _set_value(operand[1], before, names, values, target)
        right = _set_value(operand[2], before, names, values, target)
        if not (left.is_number() and right.is_number()):
            raise Unsupported("arithmetic on a non-number")
        return left + right if kind == "+" else left - right
    if kind == "value":
        return _value(operand, values)
    source = names[operand[1]]
    found = before.get(source)
    if found is not None:
        return found if source == target else copy.deepcopy(found)
    if kind == "path":
        raise Unsupported("an attribute that does not exist")
    return _set_value(operand[2], before, names, values, target)  # if_not_exists


def _add(existing: DynamoType | None, value: DynamoType) -> DynamoType:
    if value.is_number():
        if existing is None:
            return value
        if not existing.is_number():
            raise Unsupported("ADD to a non-number")
        return existing + value
    if not value.is_set() or not value.value:
        raise Unsupported("ADD of this type")
    if existing is None:
        return DynamoType({value.type: list(dict.fromkeys(value.value))})
    if existing.type != value.type:
        raise Unsupported("ADD to another type")
    merged = list(existing.value) + [v for v in value.value if v not in existing.value]
    return DynamoType({value.type: merged})


def _delete(existing: DynamoType | None, value: DynamoType) -> DynamoType | None:
    if not value.is_set():
        raise Unsupported("DELETE of a non-set")
    if existing is None:
        return None
    if existing.type != value.type:
        raise Unsupported("DELETE from another type")
    remaining = [v for v in existing.value if v not in value.value]
    return DynamoType({existing.type: remaining}) if remaining else None


def _value(operand: Any, values: dict[str, Any]) -> DynamoType:
    raw = values[operand[1]]
    if not isinstance(raw, dict) or len(raw) != 1:
        raise Unsupported("a malformed value")
    _check_numbers(raw)
    return DynamoType(raw)


def _check_numbers(raw: Any) -> None:
    """Every number in a value well formed (moto would refuse it, or store it as given)."""
    if isinstance(raw, dict):
        for kind, inner in raw.items():
            if kind == "N":
                _number(inner)
            elif kind == "NS":
                for number in inner:
                    _number(number)
            elif kind in ("M", "L"):
                for element in inner.values() if kind == "M" else inner:
                    _check_numbers(element)
            elif kind == "S" and not isinstance(inner, str):
                raise Unsupported("a string that is not one")


def _number(text: Any) -> None:
    try:
        if not isinstance(text, str) or not Decimal(text).is_finite():
            raise Unsupported("a number")
    except InvalidOperation as exc:
        raise Unsupported("a number") from exc


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
    types = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
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
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
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


def _check_attributes(table: Any, attrs: dict[str, Any]) -> dict[str, DynamoType]:
    """moto's own checks of a new item (empty keys and sets, index keys, types, key sizes)."""
    try:
        validate_put_has_empty_keys(attrs, table)
        validate_put_has_empty_attrs(attrs, table)
        validate_put_has_gsi_keys_set_to_none(attrs, table)
        table._validate_item_types(attrs)
        table._validate_key_sizes(attrs)
        new = {name: DynamoType(value) for name, value in attrs.items()}
    except Exception as exc:
        raise Unsupported("moto refuses this item") from exc
    _check_new_values(table, new)
    return new


def _check_new_values(table: Any, new: dict[str, DynamoType]) -> None:
    declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    for name, value in new.items():
        if value.type == "NULL" and name in declared:
            raise Unsupported("an index key set to NULL")
        if name in declared and (value.type != declared[name] or value.value in ("", b"")):
            raise Unsupported("an index key of the wrong type, or empty")
        if value.is_set() and not value.value:
            raise Unsupported("an empty set")
        if value.type in ("S", "B") and value.value == "" and name in table.attribute_keys:
            raise Unsupported("an empty key")


def _item(
    key: tuple[DynamoType, DynamoType | None], attrs: dict[str, DynamoType], size: int
) -> Item:
    """An item as moto's (its size checked once, here, and kept for the next update)."""
    if size > _ITEM_LIMIT:
        raise Unsupported("an item too large")
    item = cast(Item, Item.__new__(Item))
    item.hash_key, item.range_key = key
    item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(item.attrs, attrs)
    item.__dict__[_SIZE] = size
    return item


def _size(item: Item) -> int:
    """Item.size(), kept on items written here (moto's in-place updates drop it)."""
    size = item.__dict__.get(_SIZE)
    if size is None:
        size = item.__dict__[_SIZE] = item.size()
    return int(size)


def _attr_size(name: str, value: DynamoType | None) -> int:
    return 0 if value is None else len(name.encode()) + value.size()


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
    before = _attributes_json(write.old, named)
    after = _attributes_json(write.item, named)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if return_values == "UPDATED_NEW":  # moto's own selection, nested maps included
        return {"Attributes": _UPDATED_NEW(_HANDLER, before, after)}
    chosen = {k: v for k, v in before.items() if k in changed}  # UPDATED_OLD
    return {"Attributes": chosen} if chosen else {}


def _attributes_json(item: Item | None, names: tuple[str, ...]) -> dict[str, Any]:
    """These attributes of the item as Item.to_json() shows them."""
    if item is None:
        return {}
    shown: dict[str, Any] = {}
    for name in names:
        value = item.attrs.get(name)
        if value is None:
            continue
        if isinstance(value.value, dict):
            shown[name] = {value.type: {k: v.to_regular_json() for k, v in value.value.items()}}
        elif isinstance(value.value, list):
            shown[name] = {value.type: [v.to_regular_json() if isinstance(v, DynamoType) else v
                                        for v in value.value]}  # fmt: skip
        else:
            shown[name] = {value.type: value.value}
    return shown


_HANDLER = DynamoHandler.__new__(DynamoHandler)  # for a method that only recurses on itself
_UPDATED_NEW = DynamoHandler._build_updated_new_attributes


_OPERATIONS = {
    "GetItem": _get_item,
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
