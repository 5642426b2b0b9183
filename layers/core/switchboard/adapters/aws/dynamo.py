"""What every DynamoDB repository shares: attribute encoding and ClientError translation.

Items are written with the low-level client (one fewer layer than boto3's resource API,
and cheaper to import); `to_attr`/`from_attr` convert plain Python values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.errors import ConflictError, ServiceUnavailableError

Item = dict[str, Any]


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
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
