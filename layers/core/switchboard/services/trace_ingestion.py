"""Traces of calls made elsewhere, written through the trace store with their counters
(docs/traces.md "Ingestion").

    ingestion.ingest(trace)        POST /monitor/trace: one whole trace, one transaction
    ingestion.ingest_otlp(batch)   POST /v1/traces: one transaction per trace of the request

An OTLP trace may arrive over several requests (an exporter sends spans as they end): each
request's share is merged into the trace (tokens and cost added, its spans put), and the
request is counted in the stats by the share that holds the trace's root span.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from switchboard.domain.otlp import OtlpBatch
from switchboard.domain.trace_stats import Counters, Dimensions, request_counters
from switchboard.domain.traces import Trace
from switchboard.ports import TraceStore

DAY_SECONDS = 86_400


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
        for share in batch.traces:
            counters, dims = _counted(share.trace, root=share.root)
            writes = self._store.share_writes(
                share.trace, counters, dims, root=share.root, expires_at=self._expires_at()
            )
            self._store.record(writes)

    def _expires_at(self) -> int | None:
        if not self._retention_days:
            return None
        return int(self._now().timestamp()) + self._retention_days * DAY_SECONDS


def _counted(trace: Trace, *, root: bool) -> tuple[Counters, Dimensions]:
    """What the trace adds to its payer's counters: tokens and cost always, the request
    (count, error, latency) when this holds its root."""
    usage = (trace.usage.input_tokens, trace.usage.output_tokens)
    latency = trace.latency_ms if root else None
    counters = request_counters(latency, usage, trace.cost_micro_usd, error=trace.status == "error")
    prompt = (trace.prompt.slug, trace.prompt.version) if trace.prompt else None
    dims = Dimensions.of(trace.started_at, trace.model, trace.app_id, prompt, trace.experiment_id)
    return counters, dims
