"""Experiment runs: a dataset executed against variants on the batch engine, then scored.

    start           check the experiment (404), the rows, variants and evaluators (400),
                    compile every prompt variant per row, write the lines as a batch file of
                    the caller's and create a batch of it through BatchService (metered and
                    rate-limited as any batch: each line holds and settles on its own); the
                    batch's metadata names the experiment and the run
    batch_finished  the batch state machine's finalize step calls it once the batch ended
                    (services/batch_steps.py, before it answers its token): a run's lines
                    are read in order and each completed one is scored by every evaluator;
                    the scores (ids fixed per line and evaluator) and the experiment's score
                    counters are written together, once, however often the step runs; an
                    llm_judge call is a metered chat completion billed to the run's owner
    get             {id, status, progress: {done, total}}: lines done of rows x variants

Why scoring waits for the batch's end rather than each line's settlement: a line's
settlement is the ledger's transaction, which must not wait on a judge's model call, and a
judge's own metering (hold, settle, 429 pacing) is a request of its own. The finalize step
already reads every line in order; scoring there keeps the batch engine unaware of
experiments beyond one hook.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import anyio

from switchboard.domain.batch_lines import line_trace_id
from switchboard.domain.batches import Batch, BatchOrder, LineStatus, Status, StoredLine
from switchboard.domain.billing import reservation_id_for
from switchboard.domain.catalog import Catalog, ModelType
from switchboard.domain.clock import utcnow
from switchboard.domain.evaluators import (
    JUDGE_MAX_TOKENS,
    Evaluator,
    evaluate,
    judge_messages,
    judge_score,
    parse_evaluators,
)
from switchboard.domain.experiments import Score, ScoreValue, variant_of
from switchboard.domain.principals import Principal
from switchboard.domain.prompted_chat import with_prompt
from switchboard.domain.prompts import Selector, compile_version
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.runs import (
    COMPLETED,
    FAILED,
    RUNNING,
    SCORING,
    Row,
    Run,
    RunVariant,
    answer_text,
    check_size,
    line,
    new_run_id,
    parse_custom_id,
    parse_rows,
    parse_variants,
    rows_of_file,
    run_not_found,
)
from switchboard.errors import InvalidRequestError, RateLimitedError, SwitchboardError
from switchboard.ports import BatchRepository, BlobStore, ExperimentRepository
from switchboard.services.batches import BatchService
from switchboard.services.billing import Billing
from switchboard.services.blocking import blocking
from switchboard.services.experiments import ExperimentService, evaluator_score_id
from switchboard.services.files import FileService
from switchboard.services.inference import InferenceService
from switchboard.services.prompts import PromptService

logger = logging.getLogger("switchboard.experiments")
JUDGES_AT_ONCE = 4  # lines scored at once (each may wait on a judge's model call)
# How long a step's judges may wait out their owner's rate limits (the batch steps function
# has 15 minutes): past it, a refused judge records nothing and counts as a failure.
JUDGE_BUDGET_SECONDS = 600
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
        inference: InferenceService,
        billing: Billing,
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
        self._inference = inference
        self._billing = billing
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

    # --- the batch's end -----------------------------------------------------------------

    async def batch_finished(self, batch_id: str) -> None:
        """Score a run's batch once it ended (a batch of no run: nothing to do)."""
        batch = await blocking(self._batch_repo.get, batch_id)
        meta = (batch.metadata or {}) if batch else {}
        if batch is None or "experiment_run" not in meta:
            return
        run = await blocking(self._runs.get_run, meta["experiment_id"], meta["experiment_run"])
        if run is None or run.status in (COMPLETED, FAILED):
            return
        if batch.status is Status.FAILED:
            error = (batch.errors or [{}])[0].get("code", "batch_failed")
            await blocking(lambda: self._runs.update_run(run, status=FAILED, error=str(error)))
            return
        await blocking(lambda: self._runs.update_run(run, status=SCORING, when={RUNNING}))
        scored, failures = await self._score(run, batch)
        await blocking(
            lambda: self._runs.update_run(
                run, status=COMPLETED, scored=scored, judge_failures=failures
            )
        )

    async def _score(self, run: Run, batch: Batch) -> tuple[int, int]:
        """Score the batch's completed lines, JUDGES_AT_ONCE at a time; (lines scored,
        judge failures)."""
        rows = await blocking(self._get_rows, run)
        requests = await blocking(self._requests, batch) if _judged(run) else {}
        tally = _Tally(anyio.current_time() + JUDGE_BUDGET_SECONDS)
        slots = anyio.Semaphore(JUDGES_AT_ONCE)
        lines = self._batch_repo.lines(batch.batch_id)  # read a page at a time, in a thread
        async with anyio.create_task_group() as group:
            while (stored := await blocking(next, lines, None)) is not None:
                if stored.status is LineStatus.COMPLETED:
                    await slots.acquire()  # released by the line's task
                    group.start_soon(self._score_line, run, batch, rows, requests, stored,
                                     tally, slots)  # fmt: skip
        return tally.scored, tally.failures

    async def _score_line(
        self,
        run: Run,
        batch: Batch,
        rows: list[Row],
        requests: dict[int, str],
        stored: StoredLine,
        tally: _Tally,
        slots: anyio.Semaphore,
    ) -> None:
        try:
            text = stored.text
            if text is None:
                text = await blocking(self._blob_text, stored.blob_key)
            output_line = json.loads(text)
            place = parse_custom_id(str(output_line.get("custom_id")))
            output = answer_text(output_line)
            if place is None or output is None or place[1] >= len(rows):
                return
            _, row, variant = place
            number, request = stored.number, requests.get(stored.number, "")
            values, failed = await self._values(run, batch, number, rows[row], output,
                                                request, tally)  # fmt: skip
            scores = [self._score_of(run, batch, number, variant, e, v) for e, v in values]
            async with tally.writing:  # one at a time: they add to the same counter items
                await blocking(self._experiments.add_scores, scores)
            tally.scored, tally.failures = tally.scored + 1, tally.failures + failed
        finally:
            slots.release()

    async def _values(
        self,
        run: Run,
        batch: Batch,
        number: int,
        row: Row,
        output: str,
        request: str,
        tally: _Tally,
    ) -> tuple[list[tuple[Evaluator, ScoreValue]], int]:
        values: list[tuple[Evaluator, ScoreValue]] = []
        failed = 0
        for evaluator in run.evaluators:
            value: ScoreValue | None
            if not evaluator.judged:
                value = evaluate(evaluator, output, row.ideal)
            elif await blocking(self._judged_already, run, batch, number, evaluator):
                continue  # a repeated step: that line's grade is stored, not asked again
            else:
                value = await self._judge(run, batch, number, evaluator, row, output, request,
                                          tally.deadline)  # fmt: skip
                failed += value is None
            if value is not None:
                values.append((evaluator, value))
        return values, failed

    async def _judge(
        self,
        run: Run,
        batch: Batch,
        number: int,
        evaluator: Evaluator,
        row: Row,
        output: str,
        request: str,
        deadline: float,
    ) -> float | None:
        """The judge's grade, from a metered chat call billed to the run's owner (its hold
        fixed per line and judge: a repeated step adopts it); None when it gave none. A
        call the owner's rate limits refuse waits its Retry-After and is asked again, while
        the step's time budget lasts."""
        seed = f"{run.id}#{number}#{evaluator.name}"
        body = ChatCompletionRequest.model_validate(
            {
                "model": evaluator.model,
                "max_tokens": JUDGE_MAX_TOKENS,
                "temperature": 0,
                "messages": judge_messages(evaluator, request, output, row.ideal),
            }
        )
        while True:
            meter = self._billing.meter(
                payer_id=run.owner_id, caller_id=run.owner_id, limits=batch.limits,
                request_id=f"judge_{seed}", reservation_id=reservation_id_for(f"judge#{seed}"),
            )  # fmt: skip
            try:
                answer = await self._inference.complete(body, meter)
                break
            except RateLimitedError as limited:
                wait = max(limited.retry_after, 1)
                if anyio.current_time() + wait > deadline:
                    return None
                await anyio.sleep(wait)
            except SwitchboardError as error:
                logger.warning("a judge's call failed", extra={
                    "run_id": run.id, "line": number, "error": error.message})  # fmt: skip
                return None
        choices = answer.get("choices") or [{}]
        return judge_score(str((choices[0].get("message") or {}).get("content") or ""))

    def _judged_already(self, run: Run, batch: Batch, number: int, evaluator: Evaluator) -> bool:
        trace_id = line_trace_id(batch.batch_id, number)
        return self._runs.has_score(trace_id, _score_id(run, number, evaluator))

    def _score_of(
        self,
        run: Run,
        batch: Batch,
        number: int,
        variant: int,
        evaluator: Evaluator,
        value: ScoreValue,
    ) -> Score:
        chosen = run.variants[variant] if variant < len(run.variants) else RunVariant()
        return Score(
            _score_id(run, number, evaluator), line_trace_id(batch.batch_id, number),
            evaluator.name, value, "evaluator", self._now(), None, run.experiment_id,
            variant_of(chosen.prompt, chosen.model),
        )  # fmt: skip

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
            raise _invalid(
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
            block = version.model
            model = None if block is None else {"model": block.model,
                                                "parameters": dict(block.parameters)}  # fmt: skip
            start = {"model": variant.model} if variant.model else {}
            return with_prompt(start, compiled, model)
        messages = row.messages or (
            [{"role": "user", "content": row.input}] if row.input is not None else first
        )
        if messages is None:
            raise _invalid(
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
            raise _invalid(f"'{model_id}' is not a chat model.", param)

    # --- the run's rows, kept beside it ---------------------------------------------------

    def _rows_key(self, run: Run) -> str:
        return f"experiments/{run.experiment_id}/runs/{run.id}/dataset.jsonl"

    def _put_rows(self, run: Run, rows: list[Row]) -> None:
        data = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in rows)
        self._blobs.put(self._rows_key(run), data.encode("utf-8"),
                        content_type="application/jsonl")  # fmt: skip

    def _get_rows(self, run: Run) -> list[Row]:
        return parse_rows(rows_of_file(self._blobs.get(self._rows_key(run))))

    def _requests(self, batch: Batch) -> dict[int, str]:
        """Each input line's last user message (what a judge is told was asked)."""
        found: dict[int, str] = {}
        for number, raw in enumerate(self._blobs.lines(batch.input_key), start=1):
            if raw.strip():
                messages = json.loads(raw)["body"]["messages"]
                users = [m for m in messages if m.get("role") == "user"]
                content = users[-1].get("content") if users else ""
                found[number] = content if isinstance(content, str) else json.dumps(content)
        return found

    def _blob_text(self, key: str | None) -> str:
        assert key is not None, "a stored line has its text or its blob key"
        return self._blobs.get(key).decode("utf-8")


@dataclass(slots=True)
class _Tally:
    deadline: float  # anyio.current_time() after which a judge refused by 429 gives up
    scored: int = 0
    failures: int = 0
    # DynamoDB cancels concurrent transactions on one item: scores are written in turn
    writing: anyio.Lock = field(default_factory=anyio.Lock)


def _score_id(run: Run, number: int, evaluator: Evaluator) -> str:
    return evaluator_score_id(f"{run.id}#{number}#{evaluator.name}")


def _judged(run: Run) -> bool:
    return any(e.judged for e in run.evaluators)


def _invalid(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_value")
