"""Cursor pages of a user's items of one kind, oldest first, from the owner index (GSI1):

    GSI1PK = USER#<user_id>, GSI1SK = <KIND>#<created>#<id>

A cursor is the last item's GSI1SK (base64, without the kind): the next page is a Query from
it, so a cursor never carries a table key (an API key's hash stays out of it). Items the
caller does not keep (revoked keys, deleted apps) are skipped and do not count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from switchboard.adapters.aws import table
from switchboard.adapters.aws.cursors import decode_cursor, encode_cursor
from switchboard.adapters.aws.dynamo import from_item, translated_errors

T = TypeVar("T")


def owner_page(
    client: Any,
    table_name: str,
    user_id: str,
    kind: str,
    *,
    after: str | None,
    limit: int,
    read: Callable[[dict[str, Any]], T],
    keep: Callable[[T], bool],
) -> tuple[list[T], str | None]:
    prefix = f"{kind}#"
    start = prefix + _decode(after) if after else prefix
    request: dict[str, Any] = {
        "TableName": table_name,
        "IndexName": table.OWNER_INDEX,
        "KeyConditionExpression": "GSI1PK = :owner AND GSI1SK BETWEEN :from AND :to",
        "ExpressionAttributeValues": {":owner": {"S": table.user_pk(user_id)},
                                      ":from": {"S": start}, ":to": {"S": prefix + "~"}},
        "Limit": limit + 1,
    }  # fmt: skip
    found: list[tuple[str, T]] = []
    while len(found) <= limit:
        with translated_errors():
            response = client.query(**request)
        for item in response.get("Items", []):
            values = from_item(item)
            value = read(values)
            if values["GSI1SK"] != start and keep(value):
                found.append((values["GSI1SK"], value))
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    page = found[:limit]
    more = len(found) > limit
    cursor = encode_cursor(page[-1][0].removeprefix(prefix)) if more and page else None
    return [value for _, value in page], cursor


def _decode(cursor: str) -> str:
    return decode_cursor(cursor, _an_owner_key)


def _an_owner_key(sort_key: str) -> bool:
    return len(sort_key) <= 200 and "#" in sort_key and "~" not in sort_key
