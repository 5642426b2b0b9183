"""The container's trace ingestion (POST /monitor/trace, POST /v1/traces) and the export of
traces to the bucket for Athena, both on the trace store."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.traces import TraceParts

if TYPE_CHECKING:
    from switchboard.services.trace_export import TraceExporter
    from switchboard.services.trace_ingestion import TraceIngestion


class TraceIngestionParts(TraceParts):
    @cached_property
    def trace_ingestion(self) -> TraceIngestion:
        from switchboard.domain.clock import utcnow
        from switchboard.services.trace_ingestion import TraceIngestion

        # TRACE_RETENTION_DAYS (template parameter TraceRetentionDays) is the traces' own
        # setting; until it is declared, ingested traces are kept without expiry.
        retention = getattr(self.settings, "TRACE_RETENTION_DAYS", None)
        return TraceIngestion(self.trace_repo, utcnow, retention)

    @cached_property
    def trace_exporter(self) -> TraceExporter:
        from switchboard.domain.clock import utcnow
        from switchboard.services.trace_export import TraceExporter

        return TraceExporter(self.trace_repo, self.blobs, utcnow)
