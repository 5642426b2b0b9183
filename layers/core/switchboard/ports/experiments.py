"""Experiments and their scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from switchboard.domain.experiments import Experiment, Score, ScoreCounter
    from switchboard.domain.runs import Run


class ExperimentRepository(Protocol):
    """Experiments, their runs and score counters, and the scores on traces."""

    def create(self, experiment: Experiment) -> None: ...

    def get(self, experiment_id: str) -> Experiment | None: ...

    def add_score(self, score: Score, *, expires_at: int | None = None) -> bool:
        """Store the score and add it to its experiment's counters, in one transaction;
        False (nothing written) if a score of that id is there already."""
        ...

    def has_score(self, trace_id: str, score_id: str) -> bool: ...

    def score_counters(self, experiment_id: str) -> list[ScoreCounter]: ...

    def put_run(self, run: Run) -> None: ...

    def get_run(self, experiment_id: str, run_id: str) -> Run | None: ...

    def list_runs(self, experiment_id: str) -> list[Run]: ...

    def update_run(
        self,
        run: Run,
        *,
        status: str | None = None,
        when: set[str] | None = None,
        batch_id: str | None = None,
        error: str | None = None,
        scored: int | None = None,
        judge_failures: int | None = None,
    ) -> Run | None:
        """Change a run (its status only from one of `when`); the run as it now is, or
        None when that condition refused the change."""
        ...
