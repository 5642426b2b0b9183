"""Experiments as use cases: create one, read its per-variant aggregates, let a call join
it, and score a trace. Runs over datasets are services/experiment_runs.py (their scoring,
services/run_scoring.py).

An experiment is its owner's alone: anyone else (an admin too) is told there is none, and a
call naming it is 404 before anything is held. Its aggregates come from the owner's trace
counters (domain/trace_stats.py) with its id as the experiment dimension, summed per variant
(the prompt version, or the model when no prompt), and from its score counters. Every
method is blocking (boto3): routes run them in a thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.experiments import (
    Experiment,
    Score,
    ScoreValue,
    describe_variant,
    experiment_not_found,
    new_experiment_id,
    new_score_id,
    parse_experiment,
    parse_score,
    plausible_id,
    score_summary,
    variant_of,
)
from switchboard.domain.principals import Principal
from switchboard.domain.trace_stats import NONE, Counters, Dimensions
from switchboard.domain.traces import Trace
from switchboard.errors import NotFoundError
from switchboard.ports import ExperimentRepository, TraceStore

MAX_DAYS = 400  # the longest stretch of counter days an experiment's aggregates read


class ExperimentService:
    def __init__(
        self,
        experiments: ExperimentRepository,
        traces: TraceStore,
        *,
        retention_days: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._experiments = experiments
        self._traces = traces
        self._retention_seconds = retention_days * 86_400
        self._now = now

    def create(self, principal: Principal, body: dict[str, Any]) -> Experiment:
        slug, name, description = parse_experiment(body)
        experiment = Experiment(
            new_experiment_id(), principal.user_id, slug, name, description, self._now()
        )
        self._experiments.create(experiment)
        return experiment

    def get(self, principal: Principal, experiment_id: str) -> Experiment:
        """The caller's experiment (anyone else's, or none: 404)."""
        found = self._experiments.get(experiment_id) if plausible_id(experiment_id) else None
        if found is None or found.owner_id != principal.user_id:
            raise experiment_not_found(experiment_id)
        return found

    def joinable(self, principal: Principal, experiment_id: str | None) -> str | None:
        """The id a call joins, checked (404 for one that is not the caller's)."""
        if experiment_id is None:
            return None
        return self.get(principal, experiment_id).id

    def describe(self, principal: Principal, experiment_id: str) -> dict[str, Any]:
        """The experiment with its variants (count, cost, latency p50 and p95, error rate,
        and each score's mean (numbers, booleans) or category counts) and its runs."""
        experiment = self.get(principal, experiment_id)
        counted = self._counted(experiment)
        scores = score_summary(self._experiments.score_counters(experiment.id))
        variants = []
        for variant in sorted(set(counted) | set(scores)):
            figures = counted.get(variant, Counters()).to_dict()
            variants.append(
                describe_variant(variant)
                | {
                    "count": figures["count"],
                    "cost_usd": figures["cost_usd"],
                    "usage": figures["usage"],
                    "latency_ms": {k: figures["latency_ms"][k] for k in ("p50", "p95")},
                    "error_rate": figures["error_rate"],
                    "scores": scores.get(variant, {}),
                }
            )
        runs = [run.summary() for run in self._experiments.list_runs(experiment.id)]
        return experiment.to_dict() | {"variants": variants, "runs": runs}

    def score(self, principal: Principal, trace_id: str, body: dict[str, Any]) -> Score:
        """Store a score on a trace the caller may see (else 404) and add it to the trace's
        experiment's counters, if it joined one."""
        name, value, comment, source = parse_score(body)
        trace = self.visible_trace(principal, trace_id)
        score = self.score_of(trace, name, value, source, comment=comment)
        self._experiments.add_score(score, expires_at=self._expires_at())
        return score

    def add_scores(self, scores: list[Score]) -> int:
        """Store evaluators' scores (ids fixed per line and evaluator); how many were new."""
        expires_at = self._expires_at()
        return sum(self._experiments.add_score(s, expires_at=expires_at) for s in scores)

    def score_of(
        self,
        trace: Trace,
        name: str,
        value: ScoreValue,
        source: str,
        *,
        comment: str | None = None,
    ) -> Score:
        variant = variant_of(trace.prompt, trace.model) if trace.experiment_id else None
        return Score(new_score_id(), trace.id, name, value, source, self._now(), comment,
                     trace.experiment_id, variant)  # fmt: skip

    def visible_trace(self, principal: Principal, trace_id: str) -> Trace:
        trace = self._traces.get(trace_id, epoch_seconds(self._now()))
        if trace is None or not trace.visible_to(principal.user_id, admin=principal.is_admin):
            raise NotFoundError(
                f"No trace found with id '{trace_id}'.", param="trace_id", code="trace_not_found"
            )
        return trace

    def _counted(self, experiment: Experiment) -> dict[str, Counters]:
        """The owner's counters of this experiment since it was made, per variant."""
        today = self._now()
        first = max(experiment.created_at, today - timedelta(days=MAX_DAYS))
        rows = self._traces.stats(
            experiment.owner_id, first.strftime("%Y-%m-%d"), today.strftime("%Y-%m-%d")
        )
        sums: dict[str, Counters] = {}
        for dims, counters in rows:
            if dims.experiment_id == experiment.id:
                sums.setdefault(_variant(dims), Counters()).add(counters)
        return sums

    def _expires_at(self) -> int:
        return epoch_seconds(self._now()) + self._retention_seconds


def evaluator_score_id(seed: str) -> str:
    """A score id fixed by what it scores (run, line, evaluator): written once however often
    the scoring step runs."""
    return "score_" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:24]


def _variant(dims: Dimensions) -> str:
    if dims.prompt != NONE:
        return f"prompt:{dims.prompt}"
    return f"model:{dims.model}"
