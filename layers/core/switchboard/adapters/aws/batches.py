"""DynamoBatches: batches and their lines' outcomes (keys: table.py; item shapes:
batch_items.py).

    BATCH#<batch_id> / BATCH         the batch: status, *_at, counts, usage, cost, files
                                     GSI1: USER#<user_id> / BATCH#<created>#<id>
                                     GSI2 (until it finishes or expires): BATCHES#DUE /
                                     <deadline>, for the sweeper
    BATCH#<batch_id> / LINE#<n>      a line's outcome: its output or error line

Every status change is one conditional UpdateItem from the statuses it may come from. A
line's outcome is written only if absent, in the same transaction as its batch's counters
(`line_written`) and, for a line that ran, as its hold's settlement or release
(Ledger.settle(also=...)): a line is stored, counted and paid for once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from switchboard.adapters.aws import batch_items as items
from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    Write,
    conditional_update,
    from_item,
    keys_due,
    to_item,
    transact,
    translated_errors,
)
from switchboard.domain.batches import (
    TERMINAL,
    Batch,
    LineState,
    LineStatus,
    Status,
    StoredLine,
)
from switchboard.errors import ConflictError

STATUS = "status"


class DynamoBatches:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- the batch ------------------------------------------------------------------

    def create(self, batch: Batch, expires_at: int) -> Batch:
        """Store a new batch; if one with its id exists (a start repeated), that one."""
        item = to_item(items.batch_item(batch, expires_at))
        try:
            with translated_errors():
                self._client.put_item(TableName=self._table, Item=item, **items.ABSENT)
        except ConflictError:
            existing = self.get(batch.batch_id)
            if existing is None:
                raise
            return existing
        return batch

    def get(self, batch_id: str) -> Batch | None:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.batch(batch_id), ConsistentRead=True
            ).get("Item")
        return items.batch_from(from_item(item)) if item else None

    def list_for_user(self, user_id: str, *, after: Batch | None, limit: int) -> list[Batch]:
        """Up to `limit` of a user's batches, newest first, older than `after`."""
        values: dict[str, Any] = {":pk": {"S": table.user_pk(user_id)}, ":prefix": {"S": "BATCH#"}}
        sort = "begins_with(GSI1SK, :prefix)"
        if after is not None:  # BETWEEN is inclusive: `after` itself is dropped below
            sort, values[":edge"] = (
                "GSI1SK BETWEEN :prefix AND :edge",
                {"S": items.index_key(after)},
            )
        with translated_errors():
            page = self._client.query(
                TableName=self._table, IndexName=table.OWNER_INDEX,
                KeyConditionExpression=f"GSI1PK = :pk AND {sort}",
                ExpressionAttributeValues=values, ScanIndexForward=False, Limit=limit + 1,
            )  # fmt: skip
        found = [items.batch_from(from_item(item)) for item in page.get("Items", [])]
        return [b for b in found if after is None or b.batch_id != after.batch_id][:limit]

    def item_key(self, batch_id: str) -> dict[str, Any]:
        """The batch item's key as DynamoDB's API takes it (the state machine reads it)."""
        return dict(table.batch(batch_id))

    def move(
        self, batch_id: str, to: Status, now: int, *, when: Iterable[Status], **extra: Any
    ) -> bool:
        """Move a batch to `to` from one of the statuses `when` (recording the time it
        entered it, and `extra` attributes); False if it was in none of them."""
        update = items.moved(Update(table.batch(batch_id)), to, now, extra)
        allowed = {f"s{i}": status.value for i, status in enumerate(sorted(when))}
        names = ", ".join("{" + label + "}" for label in allowed)
        update.condition(f"{{0}} IN ({names})", STATUS, **allowed)
        if to in TERMINAL or to is Status.EXPIRING:  # the sweeper has no more to do with it
            update.remove("GSI2PK").remove("GSI2SK")
        try:
            conditional_update(self._client, self._table, update)
        except ConditionFailed:
            return False
        return True

    def planned(self, batch_id: str, total: int) -> bool:
        """Record how many lines the split sent, once: `remaining` gains them (workers
        may have counted some down already). False if already recorded."""
        update = Update(table.batch(batch_id)).set("total", total).set("planned", True)
        update.add("remaining", total).condition("attribute_not_exists({0})", "planned")
        try:
            conditional_update(self._client, self._table, update)
        except ConditionFailed:
            return False
        return True

    def due(self, now: int, limit: int = 100) -> list[str]:
        """Batches whose completion window has passed while they were still running."""
        items = keys_due(self._client, self._table, table.HOLDS_INDEX, table.BATCHES_DUE,
                         table.epoch_key(now), limit=limit)  # fmt: skip
        return [table.batch_id_of(item["PK"]) for item in items]

    # --- its lines ------------------------------------------------------------------

    def line_state(self, batch_id: str, number: int) -> LineState | None:
        """The batch as a line worker needs it and whether the line is done: one read of
        both items. None if there is no such batch."""
        keys = [table.batch(batch_id), table.batch_line(batch_id, number)]
        request = {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": items.STATE,
                   "ExpressionAttributeNames": items.STATE_NAMES}  # fmt: skip
        found: list[dict[str, Any]] = []
        for _ in range(5):  # unprocessed keys (throttling) are asked for again
            with translated_errors():
                response = self._client.batch_get_item(RequestItems={self._table: request})
            found += response.get("Responses", {}).get(self._table, [])
            request = response.get("UnprocessedKeys", {}).get(self._table) or {}
            if not request:
                break
        return items.line_state(batch_id, [from_item(item) for item in found])

    def line_written(
        self, batch_id: str, line: StoredLine, *, expires_at: int, usage: tuple[int, int] = (0, 0),
        cost_micro_usd: int = 0,
    ) -> list[Write]:  # fmt: skip
        """The writes that store a line's outcome and count it in its batch: for the
        transaction of its settlement or release, or for `record`."""
        put = {"Put": {"Item": to_item(items.line_item(batch_id, line, expires_at))}}
        counters = Update(table.batch(batch_id)).add("remaining", -1)
        if line.status is not LineStatus.SKIPPED:
            counters.add(line.status.value, 1).add("input_tokens", usage[0])
            counters.add("output_tokens", usage[1]).add("cost_micro_usd", cost_micro_usd)
        return [put | {"Put": put["Put"] | items.ABSENT}, counters]

    def lines_skipped(self, batch_id: str, numbers: Sequence[int], expires_at: int) -> list[Write]:
        """The writes that store lines as skipped (each only if absent) and count them as
        done in their batch: one transaction for `record`."""
        puts: list[Write] = [
            {"Put": {"Item": to_item(items.line_item(batch_id, StoredLine(n, LineStatus.SKIPPED),
                                                     expires_at))} | items.ABSENT}
            for n in numbers
        ]  # fmt: skip
        return [*puts, Update(table.batch(batch_id)).add("remaining", -len(numbers))]

    def record(self, writes: Sequence[Write]) -> bool:
        """Store line outcomes that hold no money (malformed, refused, skipped lines) in one
        transaction; False, writing nothing, if one of the lines was stored already."""
        try:
            transact(self._client, self._table, list(writes))
        except Cancelled:
            return False
        return True

    def line_done(self, batch_id: str, number: int) -> bool:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.batch_line(batch_id, number),
                ConsistentRead=True, ProjectionExpression="PK",
            ).get("Item")  # fmt: skip
        return item is not None

    def lines(self, batch_id: str) -> Iterator[StoredLine]:
        """The batch's stored lines in order, a page (up to 1 MB) at a time."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :line)",
            ExpressionAttributeValues={
                ":pk": table.batch(batch_id)["PK"],
                ":line": {"S": table.LINE_PREFIX},
            },
            ConsistentRead=True,
        )
        with translated_errors():
            for page in pages:
                yield from (items.line_from(from_item(item)) for item in page.get("Items", []))
