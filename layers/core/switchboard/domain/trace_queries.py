"""What GET /monitor/traces selects (TraceFilter) and returns (TracePage), apart from
domain/traces.py: a request's own trace needs neither, and each dataclass is about half a
millisecond of a cold start to create.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchboard.domain.traces import Trace


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """What GET /monitor/traces selects: a time range (started_at in [start, end]) and
    equality filters. `viewer` None: everyone's (an admin)."""

    viewer: str | None
    start: datetime | None = None
    end: datetime | None = None
    model: str | None = None
    app_id: str | None = None
    key_id: str | None = None
    status: str | None = None
    prompt_slug: str | None = None
    prompt_version: int | None = None
    experiment_id: str | None = None

    def matches(self, trace: Trace) -> bool:
        prompt = trace.prompt
        wanted = (
            (self.model, trace.model), (self.app_id, trace.app_id), (self.key_id, trace.key_id),
            (self.status, trace.status), (self.experiment_id, trace.experiment_id),
            (self.prompt_slug, prompt.slug if prompt else None),
            (self.prompt_version, prompt.version if prompt else None),
        )  # fmt: skip
        return all(want is None or want == got for want, got in wanted)


@dataclass(frozen=True, slots=True)
class TracePage:
    traces: list[Trace]
    has_more: bool
    next_cursor: str | None
