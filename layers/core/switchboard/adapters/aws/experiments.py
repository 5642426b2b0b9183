"""DynamoExperiments: experiments, their runs and score counters, and the scores on traces
(keys: table.py).

    EXPERIMENT#<id>   EXPERIMENT                          owner, featureSlug, name, description
    EXPERIMENT#<id>   RUN#<run_id>                        a run: batch, status, progress
    EXPERIMENT#<id>   SCORES#<variant>#<name>             a number's sum and count
    EXPERIMENT#<id>   SCORES#<variant>#<name>#=<category> a category's count
    TRACE#<trace_id>  SCORE#<score_id>                    one score

A score and its counter are written in one transaction, on the condition that the score is
new: an evaluator's score (its id fixed per run, line and evaluator) is counted once however
often its step runs. Sums are DynamoDB numbers (exact decimals), added with ADD.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import (
    Cancelled,
    ConditionFailed,
    Update,
    conditional_update,
    from_item,
    to_item,
    transact,
    translated_errors,
)
from switchboard.domain.evaluators import Evaluator
from switchboard.domain.experiments import Experiment, Score, ScoreCounter
from switchboard.domain.runs import Run, RunVariant


class DynamoExperiments:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, experiment: Experiment) -> None:
        with translated_errors():
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_experiment_item(experiment)),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def get(self, experiment_id: str) -> Experiment | None:
        item = self._get(table.experiment(experiment_id))
        return _experiment(item) if item else None

    def add_score(self, score: Score, *, expires_at: int | None = None) -> bool:
        """Store the score and add it to its experiment's counter; False if a score of that
        id is there already (nothing is written)."""
        put = {"Put": {"Item": to_item(_score_item(score) | {"expires_at": expires_at}),
                       "ConditionExpression": "attribute_not_exists(PK)"}}  # fmt: skip
        writes: list[Any] = [put]
        if score.experiment_id is not None and score.variant is not None:
            writes.append(_counter_update(score))
        try:
            transact(self._client, self._table, writes)
        except Cancelled as cancelled:
            if cancelled.failed(0):
                return False
            raise
        return True

    def has_score(self, trace_id: str, score_id: str) -> bool:
        return self._get(table.score(trace_id, score_id)) is not None

    def score_counters(self, experiment_id: str) -> list[ScoreCounter]:
        items = self._query(table.experiment_pk(experiment_id), table.SCORES_PREFIX)
        return [_counter(item) for item in items]

    def put_run(self, run: Run) -> None:
        with translated_errors():
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_run_item(run)),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def get_run(self, experiment_id: str, run_id: str) -> Run | None:
        item = self._get(table.experiment_run(experiment_id, run_id))
        return _run(item) if item else None

    def list_runs(self, experiment_id: str) -> list[Run]:
        """The experiment's runs, oldest first (run ids are random: sorted by creation)."""
        items = self._query(table.experiment_pk(experiment_id), table.RUN_PREFIX)
        return sorted((_run(item) for item in items), key=lambda run: run.created_at)

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
        """Change a run (a status only from one of `when`); the run as it now is, or None
        when the condition refused the change."""
        update = Update(table.experiment_run(run.experiment_id, run.id))
        changes = {"status": status, "batch_id": batch_id, "error": error, "scored": scored,
                   "judge_failures": judge_failures}  # fmt: skip
        for name, value in changes.items():
            if value is not None:
                update.set(name, value)
        if when:
            update.condition(
                "{0} IN (" + ", ".join(f"{{s{i}}}" for i in range(len(when))) + ")",
                "status",
                **{f"s{i}": s for i, s in enumerate(sorted(when))},
            )
        update.condition("attribute_exists({0})", "PK")
        try:
            item = conditional_update(self._client, self._table, update, returns="ALL_NEW")
        except ConditionFailed:  # the run moved on meanwhile
            return None
        return _run(item)

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        with translated_errors():
            response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        item = response.get("Item")
        return from_item(item) if item else None

    def _query(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        }
        while True:
            with translated_errors():
                page = self._client.query(**request)
            items += [from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _counter_update(score: Score) -> Update:
    assert score.experiment_id is not None and score.variant is not None
    key = table.score_counter(score.experiment_id, score.variant, score.name, score.category)
    update = Update(key).add("count", 1)
    update.set("variant", score.variant).set("name", score.name)
    if score.category is not None:
        update.set("category", score.category)
    else:
        assert score.number is not None
        update.add("total", score.number)
    return update


def _counter(item: dict[str, Any]) -> ScoreCounter:
    return ScoreCounter(
        str(item["variant"]),
        str(item["name"]),
        int(item.get("count", 0)),
        Decimal(str(item.get("total", 0))),
        item.get("category"),
    )


def _experiment_item(experiment: Experiment) -> dict[str, Any]:
    return table.plain_key(table.experiment(experiment.id)) | {
        "owner_id": experiment.owner_id,
        "feature_slug": experiment.feature_slug,
        "name": experiment.name,
        "description": experiment.description,
        "created_at": experiment.created_at.isoformat(),
    }


def _experiment(item: dict[str, Any]) -> Experiment:
    return Experiment(
        str(item["PK"]).removeprefix("EXPERIMENT#"),
        str(item["owner_id"]),
        str(item["feature_slug"]),
        str(item["name"]),
        item.get("description"),
        datetime.fromisoformat(str(item["created_at"])),
    )


def _score_item(score: Score) -> dict[str, Any]:
    value = score.value
    stored = {"value_json": json.dumps(value)}  # a float keeps its exact text
    return (
        table.plain_key(table.score(score.trace_id, score.id))
        | stored
        | {
            "name": score.name,
            "comment": score.comment,
            "source": score.source,
            "experiment_id": score.experiment_id,
            "variant": score.variant,
            "created_at": score.created_at.isoformat(),
        }
    )


def _run_item(run: Run) -> dict[str, Any]:
    return table.plain_key(table.experiment_run(run.experiment_id, run.id)) | {
        "owner_id": run.owner_id,
        "variants": json.dumps([v.to_dict() for v in run.variants]),
        "evaluators": json.dumps([e.to_dict() for e in run.evaluators]),
        "rows": run.rows,
        "created_at": run.created_at.isoformat(),
        "batch_id": run.batch_id,
        "status": run.status,
        "scored": run.scored,
        "judge_failures": run.judge_failures,
        "error": run.error,
    }


def _run(item: dict[str, Any]) -> Run:
    variants = tuple(RunVariant.of(v) for v in json.loads(str(item["variants"])))
    evaluators = tuple(Evaluator(**e) for e in json.loads(str(item["evaluators"])))
    run = Run(
        str(item["SK"]).removeprefix(table.RUN_PREFIX),
        str(item["PK"]).removeprefix("EXPERIMENT#"),
        str(item["owner_id"]),
        variants,
        evaluators,
        int(item["rows"]),
        datetime.fromisoformat(str(item["created_at"])),
    )
    return replace(
        run,
        batch_id=item.get("batch_id"),
        status=str(item.get("status", run.status)),
        scored=int(item.get("scored", 0)),
        judge_failures=int(item.get("judge_failures", 0)),
        error=item.get("error"),
    )
