"""The batch line worker: a message names a few lines of a batch's file (a byte range); each
runs as a live request would, one after another, metered on its own.

    for each line:  read the batch and the line (one read): done already -> next; the
                    batch no longer running -> the rest are skipped (counted as done)
                    judge it: malformed -> an error line, nothing held
                    hold (the owner's window and balance, at the batch price), call the
                    model, settle: the line's outcome and its batch's counters are written
                    in the settlement's (or the release's) own transaction
                    429 (the owner's rate limits) -> the rest go back on the queue with a
                    delay: tokens per minute pace a batch, they do not fail it
                    402 -> an insufficient_credits error line; so do the next ones

Deliveries may repeat (SQS is at least once) and a worker may die anywhere. A line's hold
has one id per (batch, line): a delivery that finds it open carries on with it, and the
line's outcome is written only if absent, in the transaction that closes the hold. So a
line is billed once and stored once, whether it comes twice or its worker was killed
between the model call and the settlement (the retry settles it, or the sweeper releases
the hold and the retry holds again).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from typing import Any

import anyio

from switchboard.domain.batch_lines import (
    Chunk,
    LineRequest,
    Malformed,
    failed_line,
    line_request_id,
    line_trace_id,
    malformed_line,
    output_line,
    parse_line,
)
from switchboard.domain.batches import LineState, LineStatus, StoredLine
from switchboard.domain.billing import Reservation, charge_for, reservation_id_for
from switchboard.domain.catalog import Catalog
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.traces import PromptRef
from switchboard.errors import NotFoundError, RateLimitedError, SwitchboardError
from switchboard.ports import BatchRepository, BlobStore, JobQueue
from switchboard.services.billing import Billing
from switchboard.services.blocking import blocking
from switchboard.services.inference import InferenceService
from switchboard.services.meter import Meter

logger = logging.getLogger("switchboard.batches")
INLINE_LINE_BYTES = 300_000  # longer outcomes are kept in the blob store, beside the item
SETTLE_ATTEMPTS = 3  # a settlement cancelled by a conflicting transaction is tried again
MAX_PACING_DELAY = 900  # SQS's longest message delay


class LineNotStoredError(Exception):
    """A line ran but its outcome could not be stored: its message is delivered again."""


class BatchLines:
    def __init__(
        self,
        batches: BatchRepository,
        blobs: BlobStore,
        lines: JobQueue,
        catalog: Catalog,
        inference: InferenceService,
        billing: Billing,
    ) -> None:
        self._batches = batches
        self._blobs = blobs
        self._lines = lines
        self.catalog = catalog
        self._inference = inference
        self._billing = billing

    async def process(self, message: dict[str, Any]) -> None:
        """Run a message's lines, in order, each once."""
        chunk = Chunk.of(message)
        requests = iter(await self._requests(chunk))
        for number, offset, raw in requests:
            state = await blocking(self._batches.line_state, chunk.batch_id, number)
            if state is None:
                return  # the batch is gone
            if state.line_done:
                continue
            if not state.status.running:
                rest = [number, *(n for n, _, _ in requests)]
                await self._skip(state, rest)
                return
            try:
                await self._line(state, self._judge(chunk, number, raw, state))
            except RateLimitedError as limited:
                await self._pace(chunk.remainder(number, offset), limited.retry_after)
                return

    async def bury(self, message: dict[str, Any]) -> None:
        """A message that failed every delivery: its lines not stored yet fail, and any
        hold they left open is released in the same transaction."""
        chunk = Chunk.of(message)
        held: dict[str, Reservation] | None = None
        for number in chunk.numbers:
            state = await blocking(self._batches.line_state, chunk.batch_id, number)
            if state is None or state.line_done:
                continue
            if held is None:  # the owner's open holds, read once
                holds = await blocking(self._billing.ledger.holds, state.user_id)
                held = {r.reservation_id: r for r in holds}
            bad = Malformed(number, None, "processing_failed",
                            f"Line {number} could not be processed; it was tried "
                            "repeatedly and failed.")  # fmt: skip
            writes = self._writes(state, _failure(number, malformed_line(state.batch_id, bad)))
            hold = held.get(_reservation_id(state, number))
            released = hold is not None and await self._billing.meter_of(hold).release(
                "dead-lettered", writes
            )
            if not released:  # no hold (or it closed meanwhile): the failure on its own
                await blocking(self._batches.record, writes)
            logger.warning("a dead-lettered batch line failed",
                           extra={"batch_id": chunk.batch_id, "line": number})  # fmt: skip

    async def _requests(self, chunk: Chunk) -> list[tuple[int, int, bytes | None]]:
        """(number, offset, text) of the chunk's lines; no text for a line too long to
        read, or when the input file is gone (both fail as they are)."""
        if chunk.oversized:
            return [(chunk.numbers[0], chunk.start, None)]
        try:
            data = await blocking(self._blobs.read, chunk.key, (chunk.start, chunk.end))
        except NotFoundError:
            return [(number, chunk.start, None) for number in chunk.numbers]
        return list(chunk.lines(data))

    def _judge(
        self, chunk: Chunk, number: int, raw: bytes | None, state: LineState
    ) -> LineRequest | Malformed:
        if raw is None:
            why = "is too long" if chunk.oversized else "could not be read (the file is gone)"
            return Malformed(number, None, "line_unreadable", f"Line {number} {why}.")
        duplicate = number in chunk.duplicates
        return parse_line(number, raw, state.endpoint, self.catalog, duplicate=duplicate)

    async def _line(self, state: LineState, line: LineRequest | Malformed) -> None:
        if isinstance(line, Malformed):
            failure = _failure(line.number, malformed_line(state.batch_id, line))
            await blocking(self._batches.record, self._writes(state, failure))
            return
        meter = self._billing.meter(
            payer_id=state.user_id, caller_id=state.user_id, limits=state.limits,
            request_id=line_request_id(state.batch_id, line.number),
            reservation_id=_reservation_id(state, line.number),
        )  # fmt: skip
        metadata = line.metadata | {"batch_id": state.batch_id, "line": str(line.number)}
        meter.start_trace("batch.line", "llm", metadata=metadata, capture=line.capture)
        if meter.trace is not None:  # fixed per line: a run's evaluators score it by that id
            meter.trace.trace_id = line_trace_id(state.batch_id, line.number)
            meter.trace.experiment_id = line.experiment_id
            meter.trace.prompt = PromptRef(*line.prompt) if line.prompt else None
        record = _LineRecord(self, state, line, meter)
        try:
            await self._call(line, meter, record)
        except RateLimitedError:
            raise
        except SwitchboardError as error:
            if meter.reservation is None:  # refused before holding anything: 402, 400
                await blocking(self._batches.record, record.failed(error))
                return
        if meter.charge is None:  # not settled here: stored by the release, or elsewhere?
            await self._confirm(state, line.number, meter, record.settlement)
        await meter.store_bodies()

    async def _call(self, line: LineRequest, meter: Meter, record: _LineRecord) -> None:
        if isinstance(line.body, ChatCompletionRequest):
            await self._inference.complete(line.body, meter, record=record, batch=True)
        else:
            await self._inference.embed(line.body, meter, record=record, batch=True)

    async def _confirm(
        self,
        state: LineState,
        number: int,
        traced: Meter,
        settlement: tuple[Any, ...] | None,
    ) -> None:
        """After a line whose outcome this delivery did not settle: an answer whose
        settlement failed (DynamoDB cancels a transaction that meets another on the same
        batch item) is settled again, a few times; else its hold, if still open (its
        outcome was stored by another delivery, or not at all), is released, and a line
        stored nowhere is tried again with its message. A settlement here records the
        line's trace as the first one would have (`traced`: the line's meter)."""
        hold = traced.reservation
        for attempt in range(SETTLE_ATTEMPTS):
            stored = await blocking(self._batches.line_done, state.batch_id, number)
            if stored or hold is None or settlement is None:
                break
            await anyio.sleep(random.uniform(0.05, 0.2) * (attempt + 1))
            again = self._billing.meter_of(hold).traced(traced.tracing, traced.trace)
            if await again.settle(*settlement) is not None:
                return
        if hold is not None:
            await self._billing.meter_of(hold).release("the line's outcome was not stored here")
        if not stored:
            raise LineNotStoredError(f"line {number} of {state.batch_id} was not stored")

    async def _skip(self, state: LineState, numbers: list[int]) -> None:
        """Lines of a stopped batch: stored as skipped, counted as done; one transaction,
        or one per line when some were stored meanwhile."""
        skipped = self._batches.lines_skipped
        if not await blocking(self._batches.record, skipped(state.batch_id, numbers,
                                                            state.expires_at)):  # fmt: skip
            for number in numbers:
                writes = skipped(state.batch_id, [number], state.expires_at)
                await blocking(self._batches.record, writes)

    async def _pace(self, rest: Chunk, retry_after: int) -> None:
        delay = min(max(retry_after, 1), MAX_PACING_DELAY)
        await blocking(lambda: self._lines.send(rest.message(), delay_seconds=delay))
        logger.info(
            "batch lines paced by their owner's rate limits",
            extra={"batch_id": rest.batch_id, "lines": list(rest.numbers), "delay": delay},
        )

    def _writes(
        self, state: LineState, line: StoredLine, usage: tuple[int, int] = (0, 0), cost: int = 0
    ) -> list[Any]:
        kept = self._kept(state, line)
        return self._batches.line_written(state.batch_id, kept, expires_at=state.expires_at,
                                          usage=usage, cost_micro_usd=cost)  # fmt: skip

    def _kept(self, state: LineState, line: StoredLine) -> StoredLine:
        """The line, its text moved to the blob store when too long for an item."""
        if line.text is None or len(line.text) <= INLINE_LINE_BYTES // 4:  # 4 bytes a char
            return line
        data = line.text.encode("utf-8")
        if len(data) <= INLINE_LINE_BYTES:
            return line
        key = f"batches/{state.batch_id}/lines/{line.number:08d}.json"
        self._blobs.put(key, data, content_type="application/json")
        return StoredLine(line.number, line.status, None, key)


class _LineRecord:
    """A line's outcome, written with its settlement (or its release)."""

    def __init__(
        self, lines: BatchLines, state: LineState, line: LineRequest, meter: Meter
    ) -> None:
        self._lines = lines
        self._state = state
        self._line = line
        self._meter = meter
        self.settlement: tuple[Any, ...] | None = None  # (model, prompt, completion, writes)

    def answered(self, body: dict[str, Any]) -> Sequence[Any]:
        batch_id, number = self._state.batch_id, self._line.number
        text = _json(output_line(batch_id, number, self._line.custom_id, body))
        usage = body["usage"]
        prompt, completion = int(usage["prompt_tokens"]), int(usage.get("completion_tokens", 0))
        model = self._lines.catalog.get(self._line.body.model).batch_priced()
        assert self._meter.reservation is not None, "a line is answered on its hold"
        cost = charge_for(model, self._meter.reservation, prompt, completion).billed_micro_usd
        stored = StoredLine(number, LineStatus.COMPLETED, text)
        writes = self._lines._writes(self._state, stored, (prompt, completion), cost)
        self.settlement = (model, prompt, completion, writes)
        return writes

    def failed(self, error: SwitchboardError) -> Sequence[Any]:
        line = failed_line(self._state.batch_id, self._line.number, self._line.custom_id, error)
        return self._lines._writes(self._state, _failure(self._line.number, line))


def _failure(number: int, line: dict[str, Any]) -> StoredLine:
    return StoredLine(number, LineStatus.FAILED, _json(line))


def _reservation_id(state: LineState, number: int) -> str:
    return reservation_id_for(f"{state.batch_id}#{number}")


def _json(line: dict[str, Any]) -> str:
    """A line of a batch file: UTF-8 JSON, or ASCII escapes where text cannot be UTF-8
    (an upstream's lone surrogate)."""
    text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(line, separators=(",", ":"))
    return text
