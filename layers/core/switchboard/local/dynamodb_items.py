"""Items for the emulator's fast path (local/dynamodb_fast_path.py): the update actions run
on an item's attributes, values checked as moto checks them, and new items built as moto's
own, their size kept on them so that an update measures only what it changes.

Nothing here writes: a function that meets what it does not cover raises Unsupported, and
the request goes to moto, which answers it (or refuses it) as before.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

from switchboard.local.dynamodb_expressions import Action, Unsupported

ITEM_LIMIT = 400_000  # bytes; moto refuses an item past about 405 KB
SIZE = "_switchboard_size"  # an item's size, kept on it


def run(
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
        attrs[target] = set_value(action.value, before, names, values, target)
    elif action.clause == "ADD":
        attrs[target] = _add(before.get(target), value(action.value, values))
    else:  # DELETE
        remaining = _delete(before.get(target), value(action.value, values))
        if remaining is None:
            attrs.pop(target, None)
        else:
            attrs[target] = remaining


def set_value(operand: Any, before: dict[str, DynamoType], names: dict[str, str],
               values: dict[str, Any], target: str) -> DynamoType:  # fmt: skip
    """The value to SET; an attribute's own value is reused, another's is copied (moto
    changes nested values in place, and two attributes must not share one)."""
    kind = operand[0]
    if kind in ("+", "-"):
        left = set_value(operand[1], before, names, values, target)
        right = set_value(operand[2], before, names, values, target)
        if not (left.is_number() and right.is_number()):
            raise Unsupported("arithmetic on a non-number")
        return left + right if kind == "+" else left - right
    if kind == "value":
        return value(operand, values)
    source = names[operand[1]]
    found = before.get(source)
    if found is not None:
        return found if source == target else copy.deepcopy(found)
    if kind == "path":
        raise Unsupported("an attribute that does not exist")
    return set_value(operand[2], before, names, values, target)  # if_not_exists


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


def value(operand: Any, values: dict[str, Any]) -> DynamoType:
    raw = values[operand[1]]
    if not isinstance(raw, dict) or len(raw) != 1:
        raise Unsupported("a malformed value")
    check_numbers(raw)
    return DynamoType(raw)


def check_numbers(raw: Any) -> None:
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
                    check_numbers(element)
            elif kind == "S" and not isinstance(inner, str):
                raise Unsupported("a string that is not one")


def _number(text: Any) -> None:
    try:
        if not isinstance(text, str) or not Decimal(text).is_finite():
            raise Unsupported("a number")
    except InvalidOperation as exc:
        raise Unsupported("a number") from exc


def new_item(
    key: tuple[DynamoType, DynamoType | None], attrs: dict[str, DynamoType], size: int
) -> Item:
    """An item as moto's (its size checked once, here, and kept for the next update)."""
    if size > ITEM_LIMIT:
        raise Unsupported("an item too large")
    item = cast(Item, Item.__new__(Item))
    item.hash_key, item.range_key = key
    item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(item.attrs, attrs)
    item.__dict__[SIZE] = size
    return item


def size(item: Item) -> int:
    """Item.size(), kept on items written here (moto's in-place updates drop it)."""
    size = item.__dict__.get(SIZE)
    if size is None:
        size = item.__dict__[SIZE] = item.size()
    return int(size)


def attrs_size(attrs: dict[str, DynamoType], names: list[str] | None = None) -> int:
    """The size of these attributes (all of them by default), as Item.size() counts it."""
    chosen = attrs if names is None else {n: attrs[n] for n in names if n in attrs}
    return sum(attr_size(name, value) for name, value in chosen.items())


def attr_size(name: str, value: DynamoType | None) -> int:
    return 0 if value is None else len(name.encode()) + value.size()


def attributes_json(item: Item | None, names: tuple[str, ...]) -> dict[str, Any]:
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
