"""The container's prompts: their repository (the table) and their service, which reaches
apps through the apps service (an app's prompts are its owner's, or an admin's)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.prompts import DynamoPromptRepository
    from switchboard.services.prompts import PromptService


class PromptParts(CoreParts):
    @cached_property
    def prompt_repo(self) -> DynamoPromptRepository:
        from switchboard.adapters.aws.prompts import DynamoPromptRepository

        return DynamoPromptRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def prompts(self) -> PromptService:
        from switchboard.services.prompts import PromptService

        return PromptService(self.prompt_repo, self.catalog, self.apps.get_for)
