"""The container's experiments: their repository (the table), the service the monitor routes
and the chat routes share (joining a call, scores, aggregates from the trace counters), and
runs on the batch engine (files, batches, prompts) and their scoring when the batch ends
(inference and billing, for the judges)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.batches import BatchParts
from switchboard.wiring.prompts import PromptParts
from switchboard.wiring.traces import TraceParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.experiments import DynamoExperiments
    from switchboard.services.experiment_runs import ExperimentRuns
    from switchboard.services.experiments import ExperimentService
    from switchboard.services.run_scoring import RunScoring


class ExperimentParts(PromptParts, TraceParts, BatchParts):
    @cached_property
    def experiment_repo(self) -> DynamoExperiments:
        from switchboard.adapters.aws.experiments import DynamoExperiments

        return DynamoExperiments(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def experiments(self) -> ExperimentService:
        from switchboard.services.experiments import ExperimentService

        retention = self.settings.DATA_RETENTION_DAYS  # scores are kept as long as files
        return ExperimentService(self.experiment_repo, self.trace_repo, retention_days=retention)

    @cached_property
    def experiment_runs(self) -> ExperimentRuns:
        from switchboard.services.experiment_runs import ExperimentRuns

        return ExperimentRuns(
            self.experiment_repo, self.experiments, self.prompts, self.files, self.batches,
            self.batch_repo, self.blobs, self.catalog,
        )  # fmt: skip

    @cached_property
    def run_scoring(self) -> RunScoring:
        from switchboard.services.run_scoring import RunScoring

        return RunScoring(
            self.experiment_repo, self.experiments, self.batch_repo, self.blobs, self.inference,
            self.billing,
        )  # fmt: skip

    async def batch_finished(self, batch_id: str) -> None:
        await self.run_scoring.batch_finished(batch_id)
