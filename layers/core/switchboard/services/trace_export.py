"""The trace export for Athena (docs/traces.md "Export"), run on a schedule: the traces that
started in the window since the last run, written as JSON Lines per day and app
(domain/trace_export.py), off every request's path.

    exporter.run()   -> how many traces it wrote

A window ends SETTLE before now: a trace's summary is complete once its request has
settled (every span of a gateway request settles within Lambda's 15 minutes), so a trace is
exported once, whole. The window's start is the watermark kept in the bucket
(`trace-export/_state/watermark.json`, outside the table's partitions), moved only after
the window's objects are written: a run that fails is redone by the next one, writing the
same object names. A long pause is caught up an hour (MAX_WINDOW) at a time, at most
MAX_WINDOWS_PER_RUN windows a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from switchboard.domain.trace_export import PREFIX, objects
from switchboard.domain.trace_queries import TraceFilter
from switchboard.domain.traces import Trace, iso
from switchboard.errors import NotFoundError
from switchboard.ports import BlobStore, TraceStore

WATERMARK_KEY = f"{PREFIX}_state/watermark.json"
SETTLE = timedelta(minutes=30)
MAX_WINDOW = timedelta(hours=1)  # a window's traces are held in memory, then written
MAX_WINDOWS_PER_RUN = 12  # a run catching up stops after these; the next one goes on
FIRST_WINDOW = timedelta(days=1)  # the first run starts a day back
PAGE = 100


class TraceExporter:
    def __init__(self, store: TraceStore, blobs: BlobStore, now: Callable[[], datetime]) -> None:
        self._store = store
        self._blobs = blobs
        self._now = now

    def run(self) -> int:
        cutoff = self._now().replace(second=0, microsecond=0) - SETTLE
        start = self._watermark() or cutoff - FIRST_WINDOW
        written = 0
        for _ in range(MAX_WINDOWS_PER_RUN):
            if start >= cutoff:
                break
            end = min(cutoff, start + MAX_WINDOW)
            written += self.export_window(start, end)
            self._set_watermark(end)
            start = end
        return written

    def export_window(self, start: datetime, end: datetime) -> int:
        """Write the traces that started in [start, end); their count."""
        traces = self._traces(start, end)
        for key, data in objects(traces, start, end).items():
            self._blobs.put(key, data, content_type="application/x-ndjson")
        return len(traces)

    def _traces(self, start: datetime, end: datetime) -> list[Trace]:
        selection = TraceFilter(None, start=start, end=end - timedelta(milliseconds=1))
        found: list[Trace] = []
        cursor: str | None = None
        while True:
            page = self._store.list_traces(selection, limit=PAGE, cursor=cursor)
            found.extend(t for t in page.traces if start <= t.started_at < end)
            if not page.has_more:
                return found
            cursor = page.next_cursor

    def _watermark(self) -> datetime | None:
        try:
            data = json.loads(self._blobs.get(WATERMARK_KEY))
        except NotFoundError:
            return None
        return datetime.fromisoformat(data["exported_until"])

    def _set_watermark(self, moment: datetime) -> None:
        body = json.dumps({"exported_until": iso(moment)}).encode()
        self._blobs.put(WATERMARK_KEY, body, content_type="application/json")
