"""What every DynamoDB repository shares: attribute encoding and ClientError translation.

Items are written with the low-level client (one fewer layer than boto3's resource API,
and cheaper to import); `to_attr`/`from_attr` convert plain Python values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.errors import ConflictError, ServiceUnavailableError

Item = dict[str, Any]


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list | tuple):
        return {"L": [to_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: to_attr(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def from_attr(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "L":
        return [from_attr(v) for v in value]
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "NULL":
        return None
    return value


def to_item(values: dict[str, Any]) -> Item:
    return {name: to_attr(value) for name, value in values.items() if value is not None}


def from_item(item: Item) -> dict[str, Any]:
    return {name: from_attr(attr) for name, attr in item.items()}


@contextmanager
def translated_errors(
    conflict_message: str = "The item already exists.",
    *,
    param: str | None = None,
    code: str | None = None,
) -> Iterator[None]:
    """ClientError never leaves a repository: conditions become ConflictError, the rest 503."""
    try:
        yield
    except ClientError as exc:
        aws_code = exc.response.get("Error", {}).get("Code", "")
        if aws_code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            raise ConflictError(conflict_message, param=param, code=code) from exc
        raise ServiceUnavailableError("The data store is unavailable; try again.") from exc
    except BotoCoreError as exc:
        raise ServiceUnavailableError("The data store is unavailable; try again.") from exc


class Update:
    """One UpdateItem (or transaction Update) composed from parts: ADD, SET and REMOVE
    clauses and conditions ANDed together, with their names and values numbered as they are
    added, so that parts written by different modules never collide."""

    def __init__(self, key: dict[str, Any]) -> None:
        self.key = key
        self._clauses: dict[str, list[str]] = {"ADD": [], "SET": [], "REMOVE": []}
        self._conditions: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        alias = f"#n{len(self.names)}"
        self.names[alias] = attribute
        return alias

    def value(self, value: Any) -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = to_attr(value)
        return alias

    def add(self, attribute: str, amount: int | Decimal) -> Update:
        self._clauses["ADD"].append(f"{self.name(attribute)} {self.value(amount)}")
        return self

    def set(self, attribute: str, value: Any, *, if_absent: bool = False) -> Update:
        name, alias = self.name(attribute), self.value(value)
        self._clauses["SET"].append(
            f"{name} = if_not_exists({name}, {alias})" if if_absent else f"{name} = {alias}"
        )
        return self

    def remove(self, attribute: str) -> Update:
        self._clauses["REMOVE"].append(self.name(attribute))
        return self

    def condition(self, template: str, *attributes: str, **values: Any) -> Update:
        """A condition written with {0}, {1} ... for attribute names and {name} for values:
        `condition("{0} >= {needed}", "balance_micro_usd", needed=10)`."""
        names = [self.name(attribute) for attribute in attributes]
        aliases = {label: self.value(value) for label, value in values.items()}
        self._conditions.append("(" + template.format(*names, **aliases) + ")")
        return self

    def request(self) -> dict[str, Any]:
        """The parameters (without TableName or ReturnValues*)."""
        clauses = [f"{verb} {', '.join(parts)}" for verb, parts in self._clauses.items() if parts]
        request: dict[str, Any] = {"Key": self.key, "UpdateExpression": " ".join(clauses)}
        if self._conditions:
            request["ConditionExpression"] = " AND ".join(self._conditions)
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


class ConditionFailed(Exception):
    """A conditional write refused by its condition; `old` is the item as it found it."""

    def __init__(self, old: dict[str, Any]) -> None:
        super().__init__("the write's condition failed")
        self.old = old


def conditional_update(
    client: Any, table_name: str, update: Update, *, returns: str = "UPDATED_NEW"
) -> dict[str, Any]:
    """UpdateItem returning the attributes it changed (UPDATED_NEW: an ADD of 0 changes
    nothing, so it is not returned; ALL_NEW returns the whole item); ConditionFailed, with
    the item as it was, when its condition fails; any other failure is a 503."""
    with translated_errors():
        try:
            response = client.update_item(
                TableName=table_name,
                ReturnValues=returns,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **update.request(),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old: Item = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
            raise ConditionFailed(from_item(old)) from None
    return from_item(response.get("Attributes", {}))


class Cancelled(Exception):
    """A transaction refused by a condition, with what each item's condition saw."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        """Whether the item at `index` is one whose condition failed."""
        reason = self.reasons[index] if index < len(self.reasons) else {}
        return reason.get("Code") == "ConditionalCheckFailed"

    def old(self, index: int) -> dict[str, Any]:
        """The item at `index` as the failed transaction found it ({} if none)."""
        if index >= len(self.reasons):
            return {}
        return from_item(self.reasons[index].get("Item") or {})


Write = Update | dict[str, Any]  # a transaction's item: an Update, or {"Put"|"Delete": {...}}


def transact(client: Any, table_name: str, items: list[Write]) -> None:
    """One all-or-nothing TransactWriteItems of Updates and {"Put" | "Delete": ...} items;
    Cancelled (with what each condition saw) when a condition fails, 503 otherwise."""
    operations = [_operation(item, table_name) for item in items]
    with translated_errors():
        try:
            client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            reasons: list[dict[str, Any]] = [
                dict(r) for r in exc.response.get("CancellationReasons", [])
            ]
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise Cancelled(reasons) from exc
            raise


def _operation(item: Write, table_name: str) -> dict[str, Any]:
    if isinstance(item, Update):
        request = item.request() | {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        return {"Update": {"TableName": table_name, **request}}
    ((operation, body),) = item.items()
    return {operation: {"TableName": table_name, **body}}


def keys_due(
    client: Any,
    table_name: str,
    index: str,
    partition: str,
    until: str,
    *,
    limit: int,
    inclusive: bool = True,
) -> list[dict[str, Any]]:
    """Up to `limit` items of one sweeper index partition whose sort key is at most `until`
    (below it, unless `inclusive`), oldest first, as the index projects them."""
    bound = "<=" if inclusive else "<"
    with translated_errors():
        page = client.query(
            TableName=table_name,
            IndexName=index,
            KeyConditionExpression=f"GSI2PK = :partition AND GSI2SK {bound} :until",
            ExpressionAttributeValues={":partition": {"S": partition}, ":until": {"S": until}},
            Limit=limit,
        )
    return list(page.get("Items", []))
