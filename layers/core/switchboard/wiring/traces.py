"""The container's traces. Their repository and the tracing service are core parts
(wiring/core.py: every meter's settlement records its span); this part is where the
traces' other services (ingestion, export) join."""

from __future__ import annotations

from switchboard.wiring.core import CoreParts


class TraceParts(CoreParts):
    pass
