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

        return TraceIngestion(self.trace_repo, utcnow, self.settings.TRACE_RETENTION_DAYS)

    @cached_property
    def trace_exporter(self) -> TraceExporter:
        from switchboard.domain.clock import utcnow
        from switchboard.services.trace_export import TraceExporter

        return TraceExporter(self.trace_repo, self.blobs, utcnow)
