"""Experiment runs: a dataset executed against variants on the batch engine.

    start   check the experiment (404), the rows, variants and evaluators (400), compile
            every prompt variant per row, write the lines as a batch file of the caller's
            and create a batch of it through BatchService (metered and rate-limited as any
            batch: each line holds and settles on its own); the batch's metadata names the
            experiment and the run, and the rows are kept beside it for the evaluators
    get     {id, status, progress: {done, total}}: lines done of rows x variants

The batch's end scores the lines: services/run_scoring.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from switchboard.domain.batches import BatchOrder
from switchboard.domain.catalog import Catalog, ModelType
from switchboard.domain.clock import utcnow
from switchboard.domain.evaluators import parse_evaluators
from switchboard.domain.principals import Principal
from switchboard.domain.prompted_chat import with_prompt
from switchboard.domain.prompts import Selector, compile_version
from switchboard.domain.runs import (
    COMPLETED,
    FAILED,
    SCORING,
    Row,
    Run,
    RunVariant,
    check_size,
    line,
    new_run_id,
    parse_rows,
    parse_variants,
    rows_key,
    rows_of_file,
    run_not_found,
)
from switchboard.domain.validation import invalid_value
from switchboard.errors import SwitchboardError
from switchboard.ports import BatchRepository, BlobStore, ExperimentRepository
from switchboard.services.batches import BatchService
from switchboard.services.blocking import blocking
from switchboard.services.experiments import ExperimentService
from switchboard.services.files import FileService
from switchboard.services.prompts import PromptService

Message = dict[str, Any]


class ExperimentRuns:
    def __init__(
        self,
        runs: ExperimentRepository,
        experiments: ExperimentService,
        prompts: PromptService,
        files: FileService,
        batches: BatchService,
        batch_repo: BatchRepository,
        blobs: BlobStore,
        catalog: Catalog,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._runs = runs
        self._experiments = experiments
        self._prompts = prompts
        self._files = files
        self._batches = batches
        self._batch_repo = batch_repo
        self._blobs = blobs
        self._catalog = catalog
        self._now = now

    # --- the API ------------------------------------------------------------------------

    async def start(self, principal: Principal, experiment_id: str, body: dict[str, Any]) -> Run:
        experiment = await blocking(self._experiments.get, principal, experiment_id)
        rows = await self._rows(principal, body.get("dataset"))
        variants = parse_variants(body.get("variants"))
        evaluators = parse_evaluators(body.get("evaluators"))
        for i, evaluator in enumerate(evaluators):
            if evaluator.judged:
                self._chat_model(str(evaluator.model), f"evaluators[{i}].model")
        check_size(len(rows), len(variants), any(e.judged for e in evaluators))
        run = Run(new_run_id(), experiment.id, principal.user_id, tuple(variants),
                  tuple(evaluators), len(rows), self._now())  # fmt: skip
        lines = await blocking(self._lines, principal, run, rows)
        data = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in lines)
        await blocking(self._put_rows, run, rows)
        stored = await self._files.upload(
            principal, purpose="batch", filename=f"{run.id}.jsonl", data=data.encode("utf-8")
        )
        await blocking(self._runs.put_run, run)
        metadata = {"experiment_id": experiment.id, "experiment_run": run.id}
        order = BatchOrder.of("/v1/chat/completions", metadata=metadata)
        try:
            batch = await self._batches.create(principal, stored.file_id, order)
        except BaseException:
            await blocking(lambda: self._runs.update_run(run, status=FAILED, error="not_started"))
            raise
        await blocking(lambda: self._runs.update_run(run, batch_id=batch.batch_id))
        return replace(run, batch_id=batch.batch_id)

    async def get(self, principal: Principal, experiment_id: str, run_id: str) -> tuple[Run, int]:
        """The caller's run and how many of its lines are done."""
        experiment = await blocking(self._experiments.get, principal, experiment_id)
        run = await blocking(self._runs.get_run, experiment.id, run_id)
        if run is None:
            raise run_not_found(run_id)
        if run.status in (COMPLETED, SCORING):
            return run, run.total
        batch = await blocking(self._batch_repo.get, run.batch_id) if run.batch_id else None
        done = batch.counts.completed + batch.counts.failed if batch else 0
        return run, done

    # --- building the lines --------------------------------------------------------------

    async def _rows(self, principal: Principal, dataset: object) -> list[Row]:
        if isinstance(dataset, str):
            stored = await blocking(self._files.owned, principal.user_id, dataset)
            data = await blocking(self._blobs.get, stored.key)
            return parse_rows(rows_of_file(data))
        return parse_rows(dataset)

    def _lines(self, principal: Principal, run: Run, rows: list[Row]) -> list[dict[str, Any]]:
        """Every (row, variant) line, prompts compiled per row (400 naming what is wrong)."""
        versions = [self._version(principal, v, i) for i, v in enumerate(run.variants)]
        lines = []
        for r, row in enumerate(rows):
            compiled = [self._compiled(v, row, f"dataset[{r}]") for v in versions]
            first = next((c for c in compiled if c is not None), None)
            for i, variant in enumerate(run.variants):
                body = self._body(variant, versions[i], compiled[i], first, row, r, i)
                lines.append(line(run, r, i, body, variant.prompt))
        return lines

    def _version(self, principal: Principal, variant: RunVariant, index: int) -> Any:
        if variant.prompt is None:
            if variant.model is not None:
                self._chat_model(variant.model, f"variants[{index}].model")
            return None
        try:
            served = self._prompts.serve(
                principal, variant.prompt.slug, Selector(version=variant.prompt.version), None
            )
        except SwitchboardError as exc:
            exc.param = f"variants[{index}].prompt"
            raise
        model = variant.model or (served.version.model.model if served.version.model else None)
        if model is None:
            raise invalid_value(
                f"variants[{index}] names no model and its prompt version has none.",
                f"variants[{index}].model",
            )
        self._chat_model(model, f"variants[{index}].model")
        return served.version

    def _compiled(self, version: Any, row: Row, param: str) -> list[Message] | None:
        if version is None:
            return None
        try:
            return list(compile_version(version, row.variables).messages)
        except SwitchboardError as exc:
            exc.param = f"{param}.{exc.param}" if exc.param else param
            raise

    def _body(
        self,
        variant: RunVariant,
        version: Any,
        compiled: list[Message] | None,
        first: list[Message] | None,
        row: Row,
        r: int,
        i: int,
    ) -> dict[str, Any]:
        if version is not None and compiled is not None:
            model = version.model.to_dict() if version.model is not None else None
            start = {"model": variant.model} if variant.model else {}
            return with_prompt(start, compiled, model)
        messages = row.messages or (
            [{"role": "user", "content": row.input}] if row.input is not None else first
        )
        if messages is None:
            raise invalid_value(
                f"dataset[{r}] needs `input` or `messages` for variants[{i}] (a model with "
                "no prompt), or the run needs a prompt variant.",
                f"dataset[{r}]",
            )
        return {"model": variant.model, "messages": messages}

    def _chat_model(self, model_id: str, param: str) -> None:
        try:
            model = self._catalog.get(model_id)
        except SwitchboardError as exc:
            exc.param = param
            raise
        if model.type is not ModelType.CHAT:
            raise invalid_value(f"'{model_id}' is not a chat model.", param)

    # --- the run's rows, kept beside it for its evaluators -----------------------------------

    def _put_rows(self, run: Run, rows: list[Row]) -> None:
        data = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in rows)
        self._blobs.put(rows_key(run), data.encode("utf-8"),
                        content_type="application/jsonl")  # fmt: skip
