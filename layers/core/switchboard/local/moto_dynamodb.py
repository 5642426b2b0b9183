"""Repairs to moto's DynamoDB, so that the emulator keeps DynamoDB's promises at speed.

1. Atomicity. moto serves requests on many threads and takes no lock in its DynamoDB
   backend: two concurrent conditional writes (or transactions) can both pass their
   conditions. DynamoDB guarantees atomic conditional writes and serializable transactions,
   and money depends on that. `install` runs moto's DynamoDB requests one at a time.
2. Transaction cost. moto deep-copies every table a transaction touches, to roll back on
   failure: each transaction costs time in proportion to the table's size, and a table
   holding a ledger grows with every request. `transact_write_items` below checks every
   condition first (a transaction's items are distinct, so no write can change another
   item's condition), writes only if all pass, and keeps copies of the touched items alone
   for the rare write that fails half-way. Same results, same errors, constant cost.
3. Query cost. moto lists and sorts the whole table for every Query: local/dynamodb_queries.py
   hands it only the partition's items (and keeps an index for secondary-index queries).

The everyday requests (GetItem, PutItem, UpdateItem, DeleteItem, TransactWriteItems) mostly
skip moto's request handling altogether: local/dynamodb_fast_path.py, under the same lock.

Only the emulator changes: the application's boto3 calls are the ones it makes in AWS.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from switchboard.local import dynamodb_queries

LOCK = threading.Lock()  # every DynamoDB request, moto's path or the fast path, holds it


def install() -> None:
    """Patch moto's DynamoDB (idempotent). Call before the server starts."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_switchboard_patched", False):
        return
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with LOCK:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    dynamodb_queries.install()
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoHandler._switchboard_patched = True  # type: ignore[attr-defined]


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        TooManyTransactionsException,
        TransactionCanceledException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations = _parse(self, transact_items)
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for _op_type, op, table_name, key in operations:
        current = self.get_item(table_name, key)
        if _condition_holds(op, current):
            errors.append((None, None, None))
            continue
        old = None
        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
            old = current.to_json()["Attributes"]
        errors.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    before = [
        (table_name, key, copy.deepcopy(self.get_item(table_name, key)))
        for _, _, table_name, key in operations
    ]
    try:
        for op_type, op, table_name, key in operations:
            _apply(self, op_type, op, table_name, key)
    except Exception:
        for table_name, key, item in reversed(before):
            _restore(self, table_name, key, item)
        raise


def _parse(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, Any, str, Any]]:
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TransactWriteSingleOpException,
    )

    seen: set[tuple[str, str]] = set()
    operations = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise MockValidationException("Unsupported transaction operation")
        table_name = op["TableName"]
        if op_type == "Put":
            table = self.get_table(table_name)
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        identity = (str(table_name), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        operations.append((op_type, op, table_name, key))
    return operations


def _condition_holds(op: dict[str, Any], current: Any) -> bool:
    from moto.dynamodb.comparisons import get_filter_expression

    condition = op.get("ConditionExpression")
    if condition is None:
        return True
    expression = get_filter_expression(
        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    return bool(expression.expr(current))


def _apply(self: Any, op_type: str, op: dict[str, Any], table_name: str, key: Any) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        self.put_item(table_name, op["Item"], expression_attribute_names=names,
                      expression_attribute_values=values)  # fmt: skip
    elif op_type == "Delete":
        self.delete_item(table_name, key, expression_attribute_names=names,
                         expression_attribute_values=values)  # fmt: skip
    elif op_type == "Update":
        self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                         expression_attribute_names=names,
                         expression_attribute_values=values)  # fmt: skip


def _restore(self: Any, table_name: str, key: Any, item: Any) -> None:
    if item is None:
        if self.get_item(table_name, key) is not None:
            self.delete_item(table_name, key)
    else:
        self.put_item(table_name, item.to_json()["Attributes"])
