"""Traces, their stats and shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from switchboard.domain.trace_queries import TraceFilter, TracePage
    from switchboard.domain.trace_stats import Counters, Dimensions
    from switchboard.domain.traces import Span, Trace


class TraceStore(Protocol):
    """Traces, their spans and their counters (domain/traces.py, docs/traces.md). The
    gateway's writes ride on the settlement's transaction: `span_writes` builds them and
    writes nothing."""

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
    ) -> list[Any]:
        """The writes that record one span: its item, the trace summary's update (`trace`
        holds this span's share: its tokens and cost are added; the request's own span,
        `root`, sets the trace's name, model, ttft), the payer's counters, for a
        settlement's or release's transaction (Ledger.settle/release `also`). `first`: no
        span of this trace is known to be written; the request's own span then writes the
        summary whole, and the transaction fails if a summary is there after all."""
        ...

    def trace_writes(
        self, trace: Trace, counters: Counters, dims: Dimensions, *, expires_at: int | None
    ) -> list[Any]:
        """The writes that record a whole trace (`trace.spans`) and its counters at once
        (ingestion), for `record`."""
        ...

    def add_share(
        self,
        trace: Trace,
        counters: Counters,
        dims: Dimensions,
        *,
        root: bool,
        expires_at: int | None,
    ) -> set[str]:
        """Add a part of a trace (`trace.spans`, `trace` holding their sums) to it, whether
        or not other parts are stored already, in one transaction: its spans put, the
        summary updated as `span_writes` does (`root`: this part holds the trace's root
        span), the counters added. A span stored already (a sender's retry) writes nothing:
        the ids of those are returned, for the part to be sent again without them; empty
        when it was written. ConflictError (nothing written) if the trace is another
        payer's. OTLP, whose exporters send a trace's spans as they end."""
        ...

    def record(self, writes: Sequence[Any]) -> None:
        """Write in one transaction."""
        ...

    def get(self, trace_id: str, now: int) -> Trace | None:
        """The trace with its spans (bodies in S3 not read); None if absent or expired."""
        ...

    def list_traces(
        self, selection: TraceFilter, *, limit: int, cursor: str | None, now: int | None = None
    ) -> TracePage:
        """Newest first; a payer's (GSI1), or everyone's (selection.viewer None: GSI2);
        traces expired at `now` left out. A bad cursor is a 400 (param `after`)."""
        ...

    def stats(
        self, payer_id: str, first_day: str, last_day: str
    ) -> list[tuple[Dimensions, Counters]]:
        """The payer's counter items of these days (inclusive, YYYY-MM-DD)."""
        ...

    def body_stored(self, trace_id: str, span_id: str) -> bool:
        """The span's body reached S3 (False: it was not pending any more)."""
        ...

    def pending_bodies(self, before: int, limit: int = 100) -> list[tuple[str, str]]:
        """(trace id, span id) of bodies pending since before `before` (epoch seconds)."""
        ...

    def lose_body(self, trace_id: str, span_id: str) -> bool:
        """Mark a pending body lost and count it in its counters; False if it was not
        pending any more."""
        ...
