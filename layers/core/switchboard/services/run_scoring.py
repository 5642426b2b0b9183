"""Scoring an experiment run once its batch has ended (docs/traces.md "Experiments").

The batch state machine's finalize step calls `batch_finished` (services/batch_steps.py,
before it answers its token, so that a failure retries the step): a run's completed lines
are scored by every evaluator, a few lines at a time; the scores (ids fixed per line and
evaluator, on the line's trace) and the experiment's score counters are written together,
once, however often the step runs; an llm_judge call is a metered chat completion billed to
the run's owner, its hold fixed per line and judge.

Why at the batch's end rather than at each line's settlement: a line's settlement is the
ledger's transaction, which must not wait on a judge's model call, and a judge's own
metering (hold, settle, 429) is a request of its own. The finalize step already reads every
line in order; scoring there keeps the batch engine unaware of experiments beyond one hook.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import anyio

from switchboard.domain.batch_lines import line_trace_id
from switchboard.domain.batches import Batch, LineStatus, Status, StoredLine
from switchboard.domain.billing import reservation_id_for
from switchboard.domain.clock import utcnow
from switchboard.domain.evaluators import (
    JUDGE_MAX_TOKENS,
    Evaluator,
    evaluate,
    judge_messages,
    judge_score,
)
from switchboard.domain.experiments import Score, ScoreValue, variant_of
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
    parse_custom_id,
    parse_rows,
    rows_key,
    rows_of_file,
)
from switchboard.errors import RateLimitedError, SwitchboardError
from switchboard.ports import BatchRepository, BlobStore, ExperimentRepository
from switchboard.services.billing import Billing
from switchboard.services.blocking import blocking
from switchboard.services.experiments import ExperimentService, evaluator_score_id
from switchboard.services.inference import InferenceService

logger = logging.getLogger("switchboard.experiments")
JUDGES_AT_ONCE = 4  # lines scored at once (each may wait on a judge's model call)
# How long a step's judges may wait out their owner's rate limits (the batch steps function
# has 15 minutes): past it, a refused judge records nothing and counts as a failure.
JUDGE_BUDGET_SECONDS = 600


class RunScoring:
    def __init__(
        self,
        runs: ExperimentRepository,
        experiments: ExperimentService,
        batch_repo: BatchRepository,
        blobs: BlobStore,
        inference: InferenceService,
        billing: Billing,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._runs = runs
        self._experiments = experiments
        self._batch_repo = batch_repo
        self._blobs = blobs
        self._inference = inference
        self._billing = billing
        self._now = now

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

    # --- what the evaluators are given ---------------------------------------------------

    def _get_rows(self, run: Run) -> list[Row]:
        return parse_rows(rows_of_file(self._blobs.get(rows_key(run))))

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
