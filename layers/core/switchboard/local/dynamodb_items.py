"""Items for the emulator's fast path (local/dynamodb_fast_path.py): the update actions run
on an item's attributes, values checked as moto checks them, and new items built as moto's
own, their size kept on them so that an update measures only what it changes.

Nothing here writes: a function that meets what it does not cover raises Unsupported, and
the request goes to moto, which answers it (or refuses it) as before.

A table's schema facts (its declared types, key and index key names) are worked out once
and kept on the table (`table_facts`), until moto gives it new definitions or indexes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from moto.dynamodb.limits import HASH_KEY_MAX_LENGTH, RANGE_KEY_MAX_LENGTH
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import (
    validate_put_has_empty_attrs,
    validate_put_has_empty_keys,
    validate_put_has_gsi_keys_set_to_none,
)

from switchboard.local.dynamodb_expressions import Action, Unsupported

ITEM_LIMIT = 400_000  # bytes; moto refuses an item past about 405 KB
SIZE = "_switchboard_size"  # an item's size, kept on it
FACTS = "_switchboard_facts"  # a table's TableFacts, kept on it


@dataclass(frozen=True)
class TableFacts:
    """What moto's checks of an item read from its table, each time, worked out once."""

    attr: list[Any]  # moto's lists these come from: new lists, new facts
    indexes: list[Any]
    global_indexes: list[Any]
    declared: dict[str, str]  # attribute definitions: name -> type
    attribute_keys: frozenset[str]  # the table's and every index's key names
    hash_keys: frozenset[str]  # the table's and the global indexes' (moto's size limits)
    range_keys: frozenset[str]


def table_facts(table: Any) -> TableFacts:
    facts = table.__dict__.get(FACTS)
    if (
        facts is None
        or facts.attr is not table.attr
        or facts.indexes is not table.indexes
        or facts.global_indexes is not table.global_indexes
    ):
        facts = table.__dict__[FACTS] = TableFacts(
            table.attr,
            table.indexes,
            table.global_indexes,
            {a["AttributeName"]: a["AttributeType"] for a in table.attr},
            frozenset(table.attribute_keys),
            frozenset(table.hash_key_names),
            frozenset(table.range_key_names),
        )
    return cast(TableFacts, facts)


def checked_attributes(table: Any, attrs: dict[str, Any]) -> tuple[dict[str, DynamoType], int]:
    """A new item's attributes as moto's, and their size, if moto's checks of a put pass
    (empty keys and sets, index keys set to NULL, types, numbers, key sizes) and ours
    (check_new_values); else Unsupported. A string or a number is checked here as moto
    would; any other value by moto's own checks, on that attribute alone (each of them
    looks at one at a time)."""
    facts = table_facts(table)
    new: dict[str, DynamoType] = {}
    size = 0
    try:
        for name, raw in attrs.items():
            if type(raw) is dict and len(raw) == 1:
                [(kind, inner)] = raw.items()
                if type(inner) is str and (kind == "S" or kind == "N"):
                    size += len(name.encode()) + _plain_size(table, facts, name, kind, inner)
                    new[name] = scalar(kind, inner)
                    continue
            value = new[name] = _checked_by_moto(table, name, raw)
            _check_new_value(facts, name, value)
            size += attr_size(name, value)
    except Unsupported:
        raise
    except Exception as exc:
        raise Unsupported("moto refuses this item") from exc
    return new, size


def _plain_size(table: Any, facts: TableFacts, name: str, kind: str, inner: str) -> int:
    """A string's or a number's size, if moto's checks and ours pass (as check_new_values
    would, for these two types)."""
    if kind == "N":
        table._validate_number_type(inner)  # moto's _validate_item_types, for a number
        length = len(inner)  # DynamoType.size()
    else:
        if inner == "" and name in facts.attribute_keys:
            raise Unsupported("an empty key")  # validate_put_has_empty_keys
        length = len(inner.encode("utf-8"))
    if name in facts.declared and (kind != facts.declared[name] or inner == ""):
        raise Unsupported("an index key of the wrong type, or empty")
    if name in facts.hash_keys and length > HASH_KEY_MAX_LENGTH:
        raise Unsupported("a long key")  # table._validate_key_sizes
    if name in facts.range_keys and length > RANGE_KEY_MAX_LENGTH:
        raise Unsupported("a long key")
    return length


def _checked_by_moto(table: Any, name: str, raw: Any) -> DynamoType:
    single = {name: raw}
    validate_put_has_empty_keys(single, table)
    validate_put_has_empty_attrs(single, table)
    validate_put_has_gsi_keys_set_to_none(single, table)
    table._validate_item_types(single)
    table._validate_key_sizes(single)
    return DynamoType(raw)


def check_new_values(table: Any, new: dict[str, DynamoType]) -> None:
    """Values moto would store but we do not: an index key of the wrong type, empty or
    NULL; an empty set."""
    facts = table_facts(table)
    for name, value in new.items():
        _check_new_value(facts, name, value)


def _check_new_value(facts: TableFacts, name: str, value: DynamoType) -> None:
    declared = facts.declared
    if value.type == "NULL" and name in declared:
        raise Unsupported("an index key set to NULL")
    if name in declared and (value.type != declared[name] or value.value in ("", b"")):
        raise Unsupported("an index key of the wrong type, or empty")
    if value.is_set() and not value.value:
        raise Unsupported("an empty set")
    if value.type in ("S", "B") and value.value == "" and name in facts.attribute_keys:
        raise Unsupported("an empty key")


def scalar(kind: str, inner: str) -> DynamoType:
    """DynamoType({kind: inner}) for a string, number or binary, without its generic work."""
    value = DynamoType.__new__(DynamoType)
    value.type, value.value = kind, inner
    return value


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
    [(kind, inner)] = raw.items()
    if type(inner) is str and (kind == "S" or kind == "N"):
        if kind == "N":
            _number(inner)
        return scalar(kind, inner)
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
    return 0 if value is None else len(name.encode()) + value_size(value)


def value_size(value: DynamoType) -> int:
    """value.size(), without its generic work for a string, a number or a map of values
    (moto's wraps each of a map's values in a new DynamoType to measure it)."""
    kind, inner = value.type, value.value
    if kind == "N":
        return len(str(inner))
    if kind == "S" and type(inner) is str:
        return len(inner.encode("utf-8"))
    if kind == "M" and type(inner) is dict and all(type(v) is DynamoType for v in inner.values()):
        return sum(bytesize(key) + value_size(v) for key, v in inner.items())
    return value.size()


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
