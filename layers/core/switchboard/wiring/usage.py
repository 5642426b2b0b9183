"""The container's self-service usage: the repository (the table) and the service behind
GET /v1/usage and GET /v1/usage/entries."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.usage import DynamoUsageRepository
    from switchboard.services.usage import UsageService


class UsageParts(CoreParts):
    @cached_property
    def usage_repo(self) -> DynamoUsageRepository:
        from switchboard.adapters.aws.usage import DynamoUsageRepository

        return DynamoUsageRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def usage(self) -> UsageService:
        from switchboard.services.usage import UsageService

        return UsageService(self.usage_repo)
