"""DynamoTraceRepository: traces, spans and their counters in the single table
(docs/traces.md; items in trace_items.py, keys in table.py).

The gateway writes nothing here on its own: `span_writes` builds the writes that ride on
the settlement's transaction. Reads: a trace and its spans (one query of its partition),
a payer's traces newest first (GSI1), everyone's (GSI2, one partition per UTC day, keys
only: the page's items are then read in one BatchGetItem), a payer's counters by day.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws import trace_items as build
from switchboard.adapters.aws.cursors import decode_cursor, encode_cursor
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    Write,
    conditional_update,
    from_item,
    transact,
    translated_errors,
)
from switchboard.domain.trace_stats import Counters, Dimensions
from switchboard.domain.traces import (
    BODY_LOST,
    BODY_PENDING,
    BODY_STORED,
    Span,
    Trace,
    iso,
)
from switchboard.errors import ConflictError

if TYPE_CHECKING:
    from switchboard.domain.trace_queries import TraceFilter, TracePage

ADMIN_DEFAULT_DAYS = 31  # everyone's traces, without `from`: this many days back
MAX_BATCH_GET = 100


class DynamoTraceRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- writes ------------------------------------------------------------------------

    def span_writes(
        self,
        trace: Trace,
        span: Span,
        counters: Counters,
        dims: Dimensions,
        *,
        root: bool,
        expires_at: int | None,
        first: bool = False,
    ) -> list[Write]:
        stats = build.counters_update(trace.payer_id, dims, counters)
        pending = int(span.ended_at.timestamp()) if span.ended_at else None
        stats_key = (table.stats_pk(trace.payer_id), dims.sort_key)
        summary = (
            build.summary_put(trace, expires_at)
            if first and root
            else build.summary_update(trace, root=root, expires_at=expires_at)
        )
        return [build.span_put(span, stats_key, expires_at, pending), summary, stats]

    def trace_writes(
        self, trace: Trace, counters: Counters, dims: Dimensions, *, expires_at: int | None
    ) -> list[Write]:
        stats_key = (table.stats_pk(trace.payer_id), dims.sort_key)
        spans = [build.span_put(span, stats_key, expires_at, None) for span in trace.spans]
        counted = build.counters_update(trace.payer_id, dims, counters)
        return [build.trace_put(trace, expires_at), *spans, counted]

    def add_share(
        self,
        trace: Trace,
        counters: Counters,
        dims: Dimensions,
        *,
        root: bool,
        expires_at: int | None,
    ) -> set[str]:
        """One transaction: the spans put (each only if it is not stored yet), the summary
        updated (only if the trace is new or the same payer's), the counters added. Nothing
        is written if a span was there already: the ids of those are returned (empty:
        written); ConflictError if the trace is another payer's."""
        stats_key = (table.stats_pk(trace.payer_id), dims.sort_key)
        spans = [build.span_put(span, stats_key, expires_at, None) for span in trace.spans]
        for put in spans:
            put["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
        summary = build.summary_update(trace, root=root, expires_at=expires_at)
        _only_the_payers(summary, trace.payer_id)
        counted = build.counters_update(trace.payer_id, dims, counters)
        try:
            transact(self._client, self._table, [summary, *spans, counted])
        except Cancelled as cancelled:
            if cancelled.failed(0):
                raise ConflictError(
                    f"Trace {trace.id} is another sender's.", code="trace_not_yours"
                ) from None
            return {span.id for i, span in enumerate(trace.spans) if cancelled.failed(i + 1)}
        return set()

    def record(self, writes: Sequence[Write]) -> None:
        transact(self._client, self._table, list(writes))

    def body_stored(self, trace_id: str, span_id: str) -> bool:
        update = Update(table.span(trace_id, span_id)).set("body", BODY_STORED)
        update.remove("GSI2PK").remove("GSI2SK")
        update.condition("{0} = {pending}", "body", pending=BODY_PENDING)
        try:
            conditional_update(self._client, self._table, update)
        except ConditionFailed:
            return False
        return True

    def pending_bodies(self, before: int, limit: int = 100) -> list[tuple[str, str]]:
        with translated_errors():
            page = self._client.query(
                TableName=self._table,
                IndexName=table.HOLDS_INDEX,
                KeyConditionExpression="GSI2PK = :pending AND GSI2SK < :before",
                ExpressionAttributeValues={":pending": {"S": table.BODIES_PENDING},
                                           ":before": {"S": table.epoch_key(before)}},
                Limit=limit,
            )  # fmt: skip
        found = []
        for item in page.get("Items", []):
            trace_pk, span_sk = table.plain(item["PK"]), table.plain(item["SK"])
            found.append((trace_pk.removeprefix("TRACE#"), span_sk.removeprefix(table.SPAN_PREFIX)))
        return found

    def lose_body(self, trace_id: str, span_id: str) -> bool:
        """One transaction: the span's body marked lost (if still pending) and the loss
        added to the counter item it was counted in."""
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.span(trace_id, span_id), ConsistentRead=True
            ).get("Item")
        values = from_item(item) if item else {}
        if values.get("body") != BODY_PENDING:
            return False
        span = Update(table.span(trace_id, span_id)).set("body", BODY_LOST)
        span.remove("GSI2PK").remove("GSI2SK")
        span.condition("{0} = {pending}", "body", pending=BODY_PENDING)
        counted = Update(table.key(values["stats_pk"], values["stats_sk"])).add("lost_bodies", 1)
        try:
            transact(self._client, self._table, [span, counted])
        except Cancelled:  # stored (or lost) meanwhile
            return False
        return True

    # --- reads -------------------------------------------------------------------------

    def get(self, trace_id: str, now: int) -> Trace | None:
        summary: dict[str, Any] | None = None
        spans: list[Span] = []
        for values in self._partition(trace_id):
            if values["SK"] == "TRACE":
                summary = values
            elif values["SK"].startswith(table.SPAN_PREFIX):
                spans.append(build.span_from(trace_id, values))
        if summary is None or _expired(summary, now):
            return None
        return build.trace_from(summary, tuple(spans))

    def list_traces(
        self, selection: TraceFilter, *, limit: int, cursor: str | None, now: int | None = None
    ) -> TracePage:
        # The trace list's page: imported here, as the monitor's reads are no part of the
        # gateway's requests (a dataclass less to create at a cold start).
        from switchboard.domain.trace_queries import TracePage

        after = _decode(cursor) if cursor else None
        found: list[Trace] = []
        for values in self._listed(selection, after, narrow=_narrow(selection), want=limit + 1):
            if now is not None and _expired(values, now):
                continue
            trace = build.trace_from(values)
            if selection.matches(trace):
                found.append(trace)
                if len(found) > limit:
                    break
        page, more = found[:limit], len(found) > limit
        last = page[-1] if more else None
        return TracePage(page, more, _encode(last) if last else None)

    def stats(
        self, payer_id: str, first_day: str, last_day: str
    ) -> list[tuple[Dimensions, Counters]]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": {"S": table.stats_pk(payer_id)},
                                       ":first": {"S": first_day}, ":last": {"S": last_day + "~"}},
        )  # fmt: skip
        with translated_errors():
            return [build.counters_from(item) for page in pages for item in page.get("Items", [])]

    # --- internals ---------------------------------------------------------------------

    def _partition(self, trace_id: str) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": table.trace_pk(trace_id)}},
        )
        with translated_errors():
            for page in pages:
                yield from (from_item(item) for item in page.get("Items", []))

    def _listed(
        self, selection: TraceFilter, after: str | None, *, narrow: bool, want: int
    ) -> Iterator[dict[str, Any]]:
        """Trace items newest first from after `after` (a sort key), within the range."""
        low = f"{iso(selection.start)}" if selection.start else "0"
        high = f"{iso(selection.end)}#~" if selection.end else "9~"
        size = 100 if narrow else min(want, 100)
        if selection.viewer is not None:
            pk = table.traces_of(selection.viewer)
            yield from self._query("GSI1", pk, low, high, after, size)
            return
        end = selection.end or datetime.now(UTC)
        start = selection.start or end - timedelta(days=ADMIN_DEFAULT_DAYS)
        day = after[:10] if after else end.strftime("%Y-%m-%d")
        while day >= start.strftime("%Y-%m-%d"):
            keys = self._query("GSI2", table.traces_on(day), low, high, after, size)
            yield from self._items(keys, size)
            after = None
            day = (datetime.fromisoformat(day) - timedelta(days=1)).strftime("%Y-%m-%d")

    def _query(
        self, index: str, pk: str, low: str, high: str, after: str | None, size: int
    ) -> Iterator[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "ScanIndexForward": False,
            "KeyConditionExpression": f"{index}PK = :pk AND {index}SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low},
                                          ":high": {"S": high}},
            "Limit": size,
        }  # fmt: skip
        if after is not None:
            trace_id = after.split("#", 1)[1]
            query["ExclusiveStartKey"] = table.trace(trace_id) | {
                f"{index}PK": {"S": pk}, f"{index}SK": {"S": after}}  # fmt: skip
        while True:
            with translated_errors():
                page = self._client.query(**query)
            yield from (from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _items(self, keys: Iterator[dict[str, Any]], size: int) -> Iterator[dict[str, Any]]:
        """The trace items of keys-only index entries, read in batches, in the keys' order."""
        chunk: list[dict[str, Any]] = []
        for key in keys:
            chunk.append(key)
            if len(chunk) == size:
                yield from self._batch_get(chunk)
                chunk = []
        if chunk:
            yield from self._batch_get(chunk)

    def _batch_get(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        wanted = [table.trace(str(k["PK"]).removeprefix("TRACE#")) for k in keys]
        found: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {self._table: {"Keys": wanted}}
        while request:
            with translated_errors():
                response = self._client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                values = from_item(item)
                found[values["PK"]] = values
            request = response.get("UnprocessedKeys") or {}
        yield from (found[k["PK"]] for k in keys if k["PK"] in found)


def _narrow(selection: TraceFilter) -> bool:
    """Whether the selection filters beyond the range (pages then read more per query)."""
    fields = (selection.model, selection.app_id, selection.key_id, selection.status,
              selection.prompt_slug, selection.prompt_version, selection.experiment_id)  # fmt: skip
    return any(value is not None for value in fields)


def _expired(values: dict[str, Any], now: int) -> bool:
    expires = values.get("expires_at")
    return expires is not None and int(expires) <= now


def _encode(trace: Trace) -> str:
    return encode_cursor(f"{iso(trace.started_at)}#{trace.id}")


def _decode(cursor: str) -> str:
    return decode_cursor(cursor, lambda order: "#tr_" in order and order[:4].isdigit())


def _only_the_payers(summary: dict[str, Any], payer_id: str) -> None:
    """Condition a summary update on the trace being new or `payer_id`'s (its expression's
    names are shared between calls: copied, not changed)."""
    update = summary["Update"]
    update["ConditionExpression"] = "attribute_not_exists(#only_pk) OR #only_payer = :only_payer"
    update["ExpressionAttributeNames"] = {
        **update["ExpressionAttributeNames"],
        "#only_pk": "PK",
        "#only_payer": "payer_id",
    }
    update["ExpressionAttributeValues"] = {
        **update["ExpressionAttributeValues"],
        ":only_payer": {"S": payer_id},
    }
