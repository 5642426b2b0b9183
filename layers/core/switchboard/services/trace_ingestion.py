"""Traces of calls made elsewhere, written through the trace store with their counters
(docs/traces.md "Ingestion").

    ingestion.ingest(trace)        POST /monitor/trace: one whole trace, one transaction
    ingestion.ingest_otlp(batch)   POST /v1/traces: one transaction per part of each trace

An OTLP trace may arrive over several requests (an exporter sends spans as they end): each
request's share is merged into the trace (tokens and cost added, its spans put), and the
request is counted in the stats by the share that holds the trace's root span. A span sent
again (an exporter retrying a request whose answer it lost) is not added again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from switchboard.domain.clock import epoch_seconds
from switchboard.domain.otlp import OtlpBatch, TraceShare
from switchboard.domain.trace_stats import Counters, Dimensions, request_counters
from switchboard.domain.traces import Trace
from switchboard.errors import ConflictError, ServiceUnavailableError
from switchboard.ports import TraceStore

DAY_SECONDS = 86_400
MAX_ATTEMPTS = 3  # a part is written, or written less the spans another request stored


class TraceIngestion:
    def __init__(
        self, store: TraceStore, now: Callable[[], datetime], retention_days: int | None
    ) -> None:
        self._store = store
        self._now = now
        self._retention_days = retention_days

    def ingest(self, trace: Trace) -> str:
        counters, dims = _counted(trace, root=True)
        self._store.record(
            self._store.trace_writes(trace, counters, dims, expires_at=self._expires_at())
        )
        return trace.id

    def ingest_otlp(self, batch: OtlpBatch) -> None:
        """Write each trace of the batch; one that is another payer's (a trace id already
        used by someone else) is refused, its spans counted in the batch's rejections."""
        for share in batch.traces:
            try:
                for part in share.parts():
                    self._add(part)
            except ConflictError as refused:
                batch.refuse(refused.message, count=len(share.trace.spans))

    def _add(self, share: TraceShare) -> None:
        """Add a request's part of a trace; spans stored already (a sender's retry of a
        request whose answer it lost) are left out, so nothing is counted twice."""
        part: TraceShare | None = share
        for _ in range(MAX_ATTEMPTS):
            if part is None:
                return
            counters, dims = _counted(part.trace, root=part.root)
            stored = self._store.add_share(
                part.trace, counters, dims, root=part.root, expires_at=self._expires_at()
            )
            if not stored:
                return
            part = part.without(stored)
        raise ServiceUnavailableError("The trace changed while it was written; send it again.")

    def _expires_at(self) -> int | None:
        if not self._retention_days:
            return None
        return epoch_seconds(self._now()) + self._retention_days * DAY_SECONDS


def _counted(trace: Trace, *, root: bool) -> tuple[Counters, Dimensions]:
    """What the trace adds to its payer's counters: tokens and cost always, the request
    (count, error, latency) when this holds its root."""
    usage = (trace.usage.input_tokens, trace.usage.output_tokens)
    latency = trace.latency_ms if root else None
    counters = request_counters(latency, usage, trace.cost_micro_usd, error=trace.status == "error")
    prompt = (trace.prompt.slug, trace.prompt.version) if trace.prompt else None
    dims = Dimensions.of(trace.started_at, trace.model, trace.app_id, prompt, trace.experiment_id)
    return counters, dims
