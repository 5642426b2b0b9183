"""The batch state machine's steps (statemachines/batch.asl.json), each a message on
BatchStepsQueue carrying the task token that the state machine waits on:

    validate   the input is there, at most 200 MB and 50,000 requests; if not, the batch
               fails with `errors` and the machine stops
    split      `in_progress`: the file is read by byte ranges and sent as messages of a
               few lines each to BatchLinesQueue; how many lines went is recorded once
               (`remaining` gains them), so a repeated split counts nothing twice
    finalize   once no line remains: the lines' outcomes are read in order and written
               as the output and error files (multipart uploads), and the batch ends
               `completed`, `cancelled` or `expired` as its status says; then `finished`
               (an experiment run scores its batch's lines: services/run_scoring.py)
               runs before the token is answered, so that its failure retries the step

Each step is idempotent (a message may come twice): statuses move by conditional writes,
lines already stored are not run again, and the files are made under ids fixed per batch.
A step message that fails every delivery is dead-lettered: `bury` fails the batch and
the state machine's step with it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

from switchboard.domain.batch_lines import plan_chunks
from switchboard.domain.batches import (
    RUNNING,
    TERMINAL,
    Batch,
    LineStatus,
    Status,
)
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.files import (
    JSONL_TYPE,
    MAX_FILE_BYTES,
    MAX_FILE_LINES,
    file_key,
    output_file_id,
)
from switchboard.domain.uploads import result_key
from switchboard.ports import BatchRepository, BlobStore, BlobWriter, JobQueue, Workflow
from switchboard.services.blocking import blocking
from switchboard.services.files import FileService

logger = logging.getLogger("switchboard.batches")
SEND_GROUP = 100  # line messages sent between two looks at the batch's status


class BatchSteps:
    def __init__(
        self,
        batches: BatchRepository,
        files: FileService,
        blobs: BlobStore,
        lines: JobQueue,
        workflow: Workflow,
        *,
        finished: Callable[[str], Awaitable[None]] | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._finished = finished
        self._batches = batches
        self._files = files
        self._blobs = blobs
        self._lines = lines
        self._workflow = workflow
        self._now = now

    async def run(self, message: dict[str, Any]) -> None:
        """Do the step a message asks for, then answer the state machine's token."""
        steps = {"validate": self.validate, "split": self.split, "finalize": self.finalize}
        step, batch_id = str(message["step"]), str(message["batch_id"])
        output = await blocking(steps[step], batch_id)
        if step == "finalize" and self._finished is not None:
            await self._finished(batch_id)
        await blocking(self._workflow.succeed, str(message["token"]), output)

    async def bury(self, message: dict[str, Any]) -> None:
        """A step that failed every delivery: the batch fails, and so does the step."""
        batch_id, step = str(message["batch_id"]), str(message["step"])
        why = f"The batch could not be processed (its {step} step failed)."
        errors = [_error("processing_failed", why)]
        await blocking(lambda: self._fail(batch_id, errors))
        await blocking(
            self._workflow.fail, str(message["token"]), "BatchStepFailed", errors[0]["message"]
        )

    def validate(self, batch_id: str) -> dict[str, Any]:
        """Whether the batch goes on (a cancelled one does: finalizing makes it so)."""
        batch = self._batches.get(batch_id)
        if batch is None or batch.status is not Status.VALIDATING:
            return {"valid": batch is not None and batch.status is not Status.FAILED}
        problem = self._problem(batch)
        if problem is not None:
            self._fail(batch_id, [problem])
            return {"valid": False}
        return {"valid": True}

    def split(self, batch_id: str) -> dict[str, Any]:
        """Send the lines to the line workers, unless the batch stopped meanwhile."""
        now = epoch_seconds(self._now())
        self._batches.move(batch_id, Status.IN_PROGRESS, now, when={Status.VALIDATING})
        batch = self._batches.get(batch_id)
        sent = self._send(batch) if batch is not None and batch.status in RUNNING else 0
        self._batches.planned(batch_id, sent)
        return {"lines": sent}

    def finalize(self, batch_id: str) -> dict[str, Any]:
        """Write the output and error files and end the batch."""
        batch = self._batches.get(batch_id)
        if batch is None or batch.status in TERMINAL:
            return {"status": batch.status.value if batch else None}
        outcome, now = batch.status.outcome, epoch_seconds(self._now())
        self._batches.move(batch_id, Status.FINALIZING, now, when={Status.IN_PROGRESS})
        output, errors = self._assemble(batch)
        stopping = {Status.FINALIZING, Status.CANCELLING, Status.EXPIRING, Status.IN_PROGRESS}
        self._batches.move(batch_id, outcome, epoch_seconds(self._now()), when=stopping,
                           output_file_id=output, error_file_id=errors)  # fmt: skip
        return {"status": outcome.value}

    def _problem(self, batch: Batch) -> dict[str, Any] | None:
        """Why the input cannot run, as one of OpenAI's batch errors; None if it can."""
        size = self._blobs.size(batch.input_key)
        if size is None:
            return _error("file_not_found", f"The input file {batch.input_file_id} is gone.")
        if size > MAX_FILE_BYTES:
            return _error("file_too_large", f"The input file has {size} bytes; at most "
                          f"{MAX_FILE_BYTES} (200 MB) are accepted.")  # fmt: skip
        count = batch.input_lines
        if count is None:
            count = _count_requests(self._blobs.lines(batch.input_key), MAX_FILE_LINES + 1)
        if count > MAX_FILE_LINES:
            return _error("too_many_requests", f"The input file has more than "
                          f"{MAX_FILE_LINES} requests.")  # fmt: skip
        if count == 0:
            return _error("empty_file", "The input file holds no requests.")
        return None

    def _send(self, batch: Batch) -> int:
        """Send the file's lines as messages, a group at a time, while the batch runs;
        how many lines were sent."""
        sent, pending = 0, []
        lines = self._blobs.lines(batch.input_key)
        for chunk in plan_chunks(batch.batch_id, batch.input_key, lines):
            pending.append(chunk)
            if len(pending) == SEND_GROUP:
                self._lines.send_all([c.message() for c in pending])
                sent, pending = sent + sum(len(c.numbers) for c in pending), []
                if not self._still_running(batch.batch_id):
                    return sent
        self._lines.send_all([c.message() for c in pending])
        return sent + sum(len(c.numbers) for c in pending)

    def _still_running(self, batch_id: str) -> bool:
        batch = self._batches.get(batch_id)
        return batch is not None and batch.status in RUNNING

    def _assemble(self, batch: Batch) -> tuple[str | None, str | None]:
        """The output and error files, from the lines' outcomes in order; a file with no
        line is not made (its id is null)."""
        files = {kind: _Output(batch, kind, self._blobs) for kind in ("output", "error")}
        for line in self._batches.lines(batch.batch_id):
            if line.status is LineStatus.SKIPPED:
                continue
            text = line.text if line.text is not None else self._stored_text(line.blob_key)
            files["output" if line.status is LineStatus.COMPLETED else "error"].add(text)
        expires = epoch_seconds(self._now()) + (
            batch.output_expires_after or self._files.retention_seconds
        )
        made = {kind: output.close(self._files, expires) for kind, output in files.items()}
        return made["output"], made["error"]

    def _stored_text(self, key: str | None) -> str:
        assert key is not None, "a stored line has its text or its blob key"
        return self._blobs.get(key).decode("utf-8")

    def _fail(self, batch_id: str, errors: list[dict[str, Any]]) -> None:
        now = epoch_seconds(self._now())
        not_done = set(Status) - TERMINAL
        if self._batches.move(batch_id, Status.FAILED, now, when=not_done, errors=errors):
            logger.warning("batch failed", extra={"batch_id": batch_id, "errors": errors})


class _Output:
    """One of a batch's two files, written as its lines come (a multipart upload)."""

    def __init__(self, batch: Batch, kind: str, blobs: BlobStore) -> None:
        self._batch = batch
        self._kind = kind
        self.file_id = output_file_id(batch.batch_id, kind)
        # A batch started by a file put in the bucket writes its files beside that file.
        self.key = (
            result_key(batch.input_key, kind)
            if batch.source == "upload"
            else file_key(batch.user_id, self.file_id)
        )
        self._writer: BlobWriter = blobs.writer(self.key, content_type=JSONL_TYPE)
        self.lines = 0
        self.bytes = 0

    def add(self, text: str) -> None:
        data = (text + "\n").encode("utf-8")
        self._writer.write(data)
        self.lines += 1
        self.bytes += len(data)

    def close(self, files: FileService, expires_at: int) -> str | None:
        if self.lines == 0:
            self._writer.abort()
            return None
        self._writer.close()
        name = f"{self._batch.batch_id}_{self._kind}.jsonl"
        files.record_output(self._batch.user_id, self.file_id, key=self.key, filename=name,
                            size=self.bytes, lines=self.lines, expires_at=expires_at)  # fmt: skip
        return self.file_id


def _count_requests(lines: Iterator[bytes], stop_at: int) -> int:
    """Non-blank lines, counted until `stop_at` (no need to read further)."""
    count = 0
    for line in lines:
        if line.strip():
            count += 1
            if count >= stop_at:
                break
    return count


def _error(code: str, message: str) -> dict[str, Any]:
    """One of a batch's `errors` (OpenAI's BatchError)."""
    return {"code": code, "message": message, "param": None, "line": None}
