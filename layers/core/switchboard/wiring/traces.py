"""The container's traces: their repository (the table); the tracing service that the
meters, the monitor routes and the sweeper share."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.traces import DynamoTraceRepository


class TraceParts(CoreParts):
    @cached_property
    def trace_repo(self) -> DynamoTraceRepository:
        from switchboard.adapters.aws.traces import DynamoTraceRepository

        return DynamoTraceRepository(self.client("dynamodb"), self.settings.TABLE_NAME)
