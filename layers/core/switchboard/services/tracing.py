"""Tracing: what a Meter's settlement adds to its transaction, the bodies written after the
response, the sweeper's verdict on bodies that never arrived, and the monitor's reads
(docs/traces.md).

    ctx = tracing.start(name="chat.completions", span_type="llm", user_id=..., payer_id=...)
    meter.trace = ctx                      # settle/release then write the span with the money
    ...
    await tracing.store_bodies(ctx.bodies) # after the response: bodies over the inline limit

Recording never fails a request: a body that cannot be serialized is dropped, and a trace
write that fails makes the Meter settle again without it (services/meter.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from switchboard.domain import trace_stats as stats
from switchboard.domain.clock import utcnow
from switchboard.domain.traces import (
    BODY_GRACE_SECONDS,
    BODY_INLINE,
    BODY_PENDING,
    BODY_STORED,
    Trace,
    TraceContext,
    Usage,
)
from switchboard.errors import NotFoundError

if TYPE_CHECKING:
    from switchboard.domain.principals import Principal
    from switchboard.domain.trace_queries import TraceFilter, TracePage
    from switchboard.ports import BlobStore, TraceStore

logger = logging.getLogger("switchboard.traces")
TRACE_BODY_PREFIX = "traces/"  # the bucket's lifecycle rule keeps them TraceRetentionDays
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class PendingBody:
    """A captured body over the inline limit, on its way to S3 (`store_bodies`)."""

    trace_id: str
    span_id: str
    key: str
    data: bytes


class Tracing:
    def __init__(
        self,
        store: TraceStore,
        blobs: Callable[[], BlobStore] | None,
        *,
        capture: bool = True,
        retention_days: int = 30,
        inline_bytes: int = 32_768,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.blobs = blobs  # made when first needed: most requests never write a body
        self.capture = capture
        self.retention_days = retention_days
        self.inline_bytes = inline_bytes
        self.now = now

    # --- capture -----------------------------------------------------------------------

    def start(
        self,
        *,
        name: str,
        span_type: str,
        user_id: str,
        payer_id: str,
        at: datetime | None = None,
        **fields: Any,
    ) -> TraceContext:
        """A request's context, started now (or `at`: a queued request's or a video job's
        submission); capture off if the deployment says so."""
        fields["capture"] = self.capture and fields.get("capture", True)
        return TraceContext.start(name=name, span_type=span_type, now=at or self.now(),
                                  user_id=user_id, payer_id=payer_id, **fields)  # fmt: skip

    def child(
        self, ctx: TraceContext, name: str, span_type: str, *, continues: bool = False
    ) -> TraceContext:
        return ctx.child(name, span_type, self.now(), continues=continues)

    def writes(
        self,
        ctx: TraceContext,
        *,
        model: str | None,
        usage: Usage | None,
        cost_micro_usd: int,
        error: dict[str, str] | None = None,
    ) -> list[Any]:
        """The span's writes for the settlement's (or release's) transaction; a body over
        the inline limit is left in `ctx.bodies` for `store_bodies`."""
        ended = self.now()
        span = ctx.span(ended, model=model, usage=usage, cost_micro_usd=cost_micro_usd,
                        error=error)  # fmt: skip
        if span.body == BODY_INLINE:
            text = _body_text(span.input, span.output)
            if text is None:
                span = replace(span, input=None, output=None, body=None)
            elif len(text) > self.inline_bytes:
                key = f"{TRACE_BODY_PREFIX}{ended:%Y-%m-%d}/{ctx.trace_id}/{ctx.span_id}.json"
                ctx.bodies.append(PendingBody(ctx.trace_id, ctx.span_id, key, text.encode()))
                span = replace(span, input=None, output=None, body=BODY_PENDING, body_key=key)
            elif text.isascii() and "\x7f" not in text:  # json.dumps would escape neither
                span = replace(span, body_json=text)  # the item's JSON: not parsed, dumped again
            else:
                plain = json.loads(text)
                span = replace(span, input=plain["input"], output=plain["output"])
        latency = round((ended - ctx.trace_started_at).total_seconds() * 1000)
        tokens = (usage.input_tokens, usage.output_tokens) if usage else (0, 0)
        counted = latency if ctx.root else None
        counters = stats.request_counters(counted, tokens, cost_micro_usd, error=error is not None)
        prompt = (ctx.prompt.slug, ctx.prompt.version) if ctx.prompt else None
        dims = stats.Dimensions.of(ctx.trace_started_at, model, ctx.app_id, prompt,
                                   ctx.experiment_id)  # fmt: skip
        if ctx.root or ctx.continues:
            _count_latency(ctx, dims.sort_key, latency, counters)
        summary = Trace(
            ctx.trace_id, ctx.trace_name or ctx.name, ctx.trace_started_at, ctx.user_id,
            ctx.payer_id, ended_at=ended, model=model, provider=ctx.provider,
            usage=usage or Usage(), cost_micro_usd=cost_micro_usd, latency_ms=latency,
            ttft_ms=span.ttft_ms if ctx.root else None, prompt=ctx.prompt,
            experiment_id=ctx.experiment_id, app_id=ctx.app_id, key_id=ctx.key_id,
            error=error, metadata=ctx.metadata,
        )  # fmt: skip
        first = not ctx.written
        ctx.written.append(ctx.span_id)
        return self.store.span_writes(summary, span, counters, dims, root=ctx.root,
                                      expires_at=self._expires(ended), first=first)  # fmt: skip

    async def store_bodies(self, bodies: list[PendingBody]) -> int:
        """Write the pending bodies to S3 and mark them stored (after the response); a
        failure leaves a body pending, for the sweeper to count as lost. How many stored."""
        stored = 0
        while bodies:
            body = bodies.pop(0)
            try:
                await anyio.to_thread.run_sync(self._store_body, body)
                stored += 1
            except Exception:
                where = {"trace_id": body.trace_id, "span_id": body.span_id}
                logger.exception("a trace body could not be stored", extra=where)
        return stored

    def _store_body(self, body: PendingBody) -> None:
        if self.blobs is None:
            raise RuntimeError("no bucket for trace bodies")
        self.blobs().put(body.key, body.data, content_type="application/json")
        self.store.body_stored(body.trace_id, body.span_id)

    def sweep_bodies(self, limit: int = 100) -> int:
        """Bodies still pending BODY_GRACE_SECONDS after their span: lost, and counted."""
        before = int(self.now().timestamp()) - BODY_GRACE_SECONDS
        lost = 0
        for trace_id, span_id in self.store.pending_bodies(before, limit):
            if self.store.lose_body(trace_id, span_id):
                logger.warning("a trace body was lost", extra={"trace_id": trace_id,
                                                                "span_id": span_id})  # fmt: skip
                lost += 1
        return lost

    def _expires(self, moment: datetime) -> int | None:
        if self.retention_days <= 0:
            return None
        return int(moment.timestamp()) + self.retention_days * DAY_SECONDS

    # --- reads (the monitor) -----------------------------------------------------------

    def get(self, principal: Principal, trace_id: str) -> Trace:
        """The trace with its spans (bodies read from S3), if the caller may see it; 404
        otherwise, as for a trace that does not exist."""
        trace = self.store.get(trace_id, int(self.now().timestamp()))
        if trace is None or not trace.visible_to(principal.user_id, admin=principal.is_admin):
            raise NotFoundError(f"No trace {trace_id!r}.", param="trace_id",
                                code="trace_not_found")  # fmt: skip
        spans = tuple(self._with_body(span) for span in trace.spans)
        return replace(trace, spans=spans)

    def _with_body(self, span: Any) -> Any:
        if span.body != BODY_STORED or not span.body_key or self.blobs is None:
            return span
        try:
            plain = json.loads(self.blobs().get(span.body_key))
        except Exception:  # gone with the bucket's lifecycle rule, or unreadable
            return span
        return replace(span, input=plain.get("input"), output=plain.get("output"))

    def list_traces(self, selection: TraceFilter, limit: int, cursor: str | None) -> TracePage:
        now = int(self.now().timestamp())
        return self.store.list_traces(selection, limit=limit, cursor=cursor, now=now)

    def stats(self, payer_id: str, start: datetime, end: datetime, group_by: str) -> dict[str, Any]:
        rows = self.store.stats(payer_id, f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}")
        return {"object": "stats", "from": f"{start:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}",
                "group_by": group_by, "total": stats.total(rows),
                "data": stats.grouped(rows, group_by)}  # fmt: skip

    def default_range(self, days: int = 7) -> tuple[datetime, datetime]:
        end = self.now()
        return end - timedelta(days=days), end


def _count_latency(ctx: TraceContext, key: str, latency_ms: int, counters: stats.Counters) -> None:
    """The request's latency is its whole latency: the request's span counts it, and each
    later round moves it (-1 in the bucket it was in, +1 in its own) to that round's end,
    in the same counter item (a round on another model, another item, leaves it)."""
    bucket = stats.bucket_of(latency_ms)
    if ctx.continues:
        if not ctx.counted or ctx.counted[0][0] != key:
            return
        moved = ctx.counted[0][1]
        counters.histogram[moved] = counters.histogram.get(moved, 0) - 1
        counters.histogram[bucket] = counters.histogram.get(bucket, 0) + 1
        counters.histogram = {i: n for i, n in counters.histogram.items() if n}
    ctx.counted[:] = [(key, bucket)]


def _body_text(input: Any, output: Any) -> str | None:
    try:
        return json.dumps({"input": input, "output": output}, separators=(",", ":"),
                          default=_plain, ensure_ascii=False)  # fmt: skip
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    """Pydantic models (a request's messages) and other objects, as JSON sees them."""
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json", exclude_none=True, by_alias=True)
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)
