"""DynamoUsageRepository: what a user sees of their own charges (keys: table.py).

    USER#<user_id> / LEDGER#<entry_id>            ledger entries, newest first by id
    USER#<user_id> / USAGE#<day>#<app>#<model>    the payer's counters (ADD at settlement,
                                                  in ledger.py)

A page of entries is one Query (descending, `Limit` one more than asked); its cursor is the
last entry's id, opaque to callers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.cursors import decode_cursor, encode_cursor
from switchboard.adapters.aws.dynamo import from_item, translated_errors
from switchboard.domain.usage import EntryPage, UsageEntry, UserUsageRow

_ENTRY_ID = re.compile(r"^[0-9A-Za-z_.:-]{1,128}$")


class DynamoUsageRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def entries(self, user_id: str, *, after: str | None, limit: int) -> EntryPage:
        """The user's ledger entry items, newest first, after the cursor `after`."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :ledger)",
            "ExpressionAttributeValues": {":pk": {"S": table.user_pk(user_id)},
                                          ":ledger": {"S": table.LEDGER_PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }  # fmt: skip
        if after is not None:
            request["ExclusiveStartKey"] = table.ledger_entry(user_id, decode_entry_cursor(after))
        with translated_errors():
            items = self._client.query(**request).get("Items", [])
        found = [_entry_from(from_item(item)) for item in items]
        page, more = found[:limit], len(found) > limit
        cursor = encode_cursor(page[-1].entry_id) if more else None
        return EntryPage(page, more, cursor)

    def totals(self, user_id: str, start: date, end: date) -> list[UserUsageRow]:
        """The user's counters from start to end (UTC days, both included)."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :from AND :to",
            ExpressionAttributeValues={
                ":pk": {"S": table.user_pk(user_id)},
                ":from": {"S": f"{table.USAGE_PREFIX}{start.isoformat()}"},
                ":to": {"S": f"{table.USAGE_PREFIX}{end.isoformat()}~"},  # after any app id
            },
        )
        with translated_errors():
            return [_row_from(from_item(item)) for page in pages for item in page["Items"]]


def decode_entry_cursor(cursor: str) -> str:
    return decode_cursor(cursor, lambda entry_id: bool(_ENTRY_ID.match(entry_id)))


def _entry_from(values: dict[str, Any]) -> UsageEntry:
    kind = values.get("kind", "")
    cost = int(values.get("cost_micro_usd") or 0) - int(values.get("unbilled_micro_usd") or 0)
    return UsageEntry(
        entry_id=values["SK"].removeprefix(table.LEDGER_PREFIX),
        kind=kind,
        amount_micro_usd=int(values.get("amount_micro_usd", 0)),
        cost_micro_usd=cost if kind == "settle" else 0,
        created_at=datetime.fromisoformat(values["created_at"]),
        request_id=values.get("request_id") or "",
        model=values.get("model"),
        app_id=values.get("app_id"),
        prompt_tokens=int(values.get("prompt_tokens") or 0),
        completion_tokens=int(values.get("completion_tokens") or 0),
        reason=values.get("reason") or "",
    )


def _row_from(values: dict[str, Any]) -> UserUsageRow:
    _, day, app_id, model = values["SK"].split("#", 3)
    return UserUsageRow(
        day=date.fromisoformat(values.get("day", day)),
        app_id=None if app_id == table.NO_APP else app_id,
        model=values.get("model", model),
        tokens=int(values.get("tokens", 0)),
        prompt_tokens=int(values.get("prompt_tokens", 0)),
        completion_tokens=int(values.get("completion_tokens", 0)),
        cost_micro_usd=int(values.get("cost_micro_usd", 0)),
        requests=int(values.get("requests", 0)),
    )
