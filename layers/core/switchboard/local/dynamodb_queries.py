"""Queries that cost what they read, not what the table holds: a repair to moto's DynamoDB,
installed by local/moto_dynamodb.py.

moto answers every Query by listing and sorting every item of the table, then keeping
those of the partition asked for (on a secondary index too). A table that gains two ledger
items per request makes each query slower than the last; the sweeper's 16 queries a minute
on the holds index (GSI2) held the emulator's one lock for 1.6 s at 10,000 items. Here a
Query hands moto only the candidates: the partition's items for the table's own key, and
for a global or local secondary index the items whose index hash key has the value asked
for, from an index kept per table. moto then filters, sorts, pages and projects them as
before, so answers are moto's own.

The index is built on a table's first index query and kept up to date by every write path
(moto's put, delete and update, and the fast path's writes); an item that a write path not
covered here changes is checked again by moto's own filter, so a stale entry can hide
nothing that matches, only an item written that way after the index was built.

A query's answer is written as JSON directly, not through moto's generic serializer, which
walks the output shape member by member: about 0.9 ms an item, so that a batch's
finalizer, reading its 10,000 lines a 1 MB page at a time, spent 7 s waiting for the pages.
It is the same data (moto's own result, binary values base64-encoded as the serializer
encodes them); tests/local/test_dynamodb_fast_path.py compares both answers.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_ATTRIBUTE = "_switchboard_index"
ENABLED = [True]  # tests turn it off to get moto's own answer to compare with


class TableIndex:
    """Where each item sits in each single-hash-key secondary index of one table."""

    def __init__(self, table: Any) -> None:
        self.hash_attrs = _hash_attrs(table)
        self.partitions: dict[str, dict[Any, dict[Any, Any]]] = {n: {} for n in self.hash_attrs}
        self.placed: dict[Any, dict[str, Any]] = {}
        for item in _items(table):
            self.place(item)

    def place(self, item: Any) -> None:
        key = (item.hash_key, item.range_key)
        self.remove(key)
        where: dict[str, Any] = {}
        for name, attr in self.hash_attrs.items():
            value = item.attrs.get(attr)
            if value is not None:
                self.partitions[name].setdefault(value, {})[key] = item
                where[name] = value
        if where:
            self.placed[key] = where

    def remove(self, key: Any) -> None:
        for name, value in self.placed.pop(key, {}).items():
            partition = self.partitions[name].get(value, {})
            partition.pop(key, None)
            if not partition:
                self.partitions[name].pop(value, None)


def track(table: Any, key: Any, item: Any) -> None:
    """After a write: `item` is now at `key` (None: nothing is)."""
    index = table.__dict__.get(_ATTRIBUTE)
    if index is not None:
        if item is None:
            index.remove(key)
        else:
            index.place(item)


def candidates(
    table: Any, hash_key: Any, index_name: str | None, conditions: Any
) -> list[Any] | None:
    """The items a query can return, in moto's order; None where moto must look at all."""
    if not ENABLED[0]:
        return None
    if not index_name:
        if hash_key is None:
            return None
        found = table.items.get(hash_key)
        if found is None:
            return []
        return (
            sorted(found.values(), key=lambda i: i.range_key) if table.range_key_attr else [found]
        )
    index = table.__dict__.get(_ATTRIBUTE)
    if index is None or index.hash_attrs != _hash_attrs(table):
        index = table.__dict__[_ATTRIBUTE] = TableIndex(table)
    attr = index.hash_attrs.get(index_name)
    values = [value for name, value in conditions or [] if name == attr]
    if attr is None or len(conditions or []) != 1 or len(values) != 1:
        return None
    found = index.partitions[index_name].get(values[0], {}).values()
    return sorted(found, key=lambda i: (i.hash_key, i.range_key) if i.range_key else i.hash_key)


def install() -> None:
    """Wrap moto's Table.query, put_item and delete_item, the backend's update_item, and
    its handler's query (its answer)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    answer_query = DynamoHandler.query

    query, put_item, delete_item = Table.query, Table.put_item, Table.delete_item
    update_item = DynamoDBBackend.update_item

    def query_candidates(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        found = candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        if found is None:
            return query(self, hash_key, *args, **kwargs)
        self.all_items = lambda: found  # for this call only: moto reads its items here
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    def put_tracked(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put_item(self, *args, **kwargs)
        track(self, (item.hash_key, item.range_key), item)
        return item

    def delete_tracked(self: Any, hash_key: Any, range_key: Any = None) -> Any:
        item = delete_item(self, hash_key, range_key)
        track(self, (hash_key, range_key), None)
        return item

    def update_tracked(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = update_item(self, table_name, *args, **kwargs)
        item.__dict__.pop("_switchboard_size", None)  # changed in place: measured again
        track(self.get_table(table_name), (item.hash_key, item.range_key), item)
        return item

    def query_answered(self: Any) -> Any:
        result = answer_query(self)
        if not ENABLED[0]:
            return result
        body = json.dumps(result.result, separators=(",", ":"), default=_base64)
        return body, {"Content-Type": "application/x-amz-json-1.0"}

    DynamoHandler.query = query_answered  # type: ignore[method-assign]
    Table.query = query_candidates  # type: ignore[method-assign]
    Table.put_item = put_tracked  # type: ignore[method-assign]
    Table.delete_item = delete_tracked  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_tracked  # type: ignore[method-assign]


def _base64(value: Any) -> str:
    """A binary value as DynamoDB's JSON carries it (moto's result holds it as bytes)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


def _hash_attrs(table: Any) -> dict[str, str]:
    """Index name -> its hash key attribute, for indexes with one hash key attribute."""
    found = {}
    for index in table.all_indexes():
        hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        if len(hashes) == 1:
            found[index.name] = hashes[0]
    return found


def _items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())
