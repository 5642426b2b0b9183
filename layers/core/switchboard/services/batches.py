"""Batches (/v1/batches) as use cases: start one, read, list and cancel one's own, and
expire those past their completion window (the sweeper's part).

    create   (API)      from an uploaded file (input_file_id) the caller owns
    start    (uploads)  from an object already in the bucket, for a user: the entry point
                        of event-triggered batches (an S3 notification names the object)
    cancel   (API)      a running batch becomes `cancelling`; one that is finishing or
                        finished is answered as it is
    expire_due (sweeper) running batches past their deadline become `expiring`

Starting a batch stores it (`validating`) and starts its state machine, named after the
batch: starting the same batch twice starts it once. The state machine's steps are
services/batch_steps.py; the line workers services/batch_lines.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import PurePosixPath

from switchboard.domain.batches import (
    RUNNING,
    TERMINAL,
    Batch,
    BatchOrder,
    Status,
    input_not_usable,
    new_batch_id,
    not_found,
)
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.files import Purpose, StoredFile
from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import Principal
from switchboard.errors import NotFoundError
from switchboard.ports import AccountRepository, BatchRepository, Workflow
from switchboard.services.blocking import blocking
from switchboard.services.files import FileService
from switchboard.services.limits import RateLimiter


class BatchService:
    def __init__(
        self,
        batches: BatchRepository,
        files: FileService,
        workflow: Workflow,
        limiter: RateLimiter,
        accounts: AccountRepository,
        *,
        completion_window_seconds: int,
        poll_seconds: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._batches = batches
        self._files = files
        self._workflow = workflow
        self._limiter = limiter
        self._accounts = accounts
        self.completion_window_seconds = completion_window_seconds
        self._poll_seconds = poll_seconds
        self._now = now

    async def create(self, principal: Principal, input_file_id: str, order: BatchOrder) -> Batch:
        """A batch of the caller's uploaded file, billed to the caller, within their limits."""
        try:
            stored = await blocking(self._files.owned, principal.user_id, input_file_id)
        except NotFoundError:
            raise input_not_usable(input_file_id, "there is no such file.") from None
        if stored.purpose is not Purpose.BATCH:
            raise input_not_usable(input_file_id, "its purpose is not 'batch'.")
        limits = self._limiter.limits_for(principal)
        return await self._start(principal.user_id, stored, order, limits, "api", None)

    async def start(
        self,
        user_id: str,
        key: str,
        order: BatchOrder,
        *,
        filename: str | None = None,
        batch_id: str | None = None,
    ) -> Batch:
        """A batch of the object at `key` in the bucket (put there by a presigned upload),
        for `user_id`, billed to them within their limits. The object becomes a file of
        theirs (the batch's input_file_id). `batch_id` makes a repeated start (a
        notification delivered twice) answer with the first batch."""
        if batch_id is not None:
            existing = await blocking(self._batches.get, batch_id)
            if existing is not None:
                return existing
        user = await blocking(self._accounts.get, user_id)
        if user is None:
            raise NotFoundError(f"No user '{user_id}'.", param="user_id")
        name = filename or PurePosixPath(key).name
        file_id = "file-" + batch_id.removeprefix("batch_") if batch_id else None
        stored = await blocking(
            lambda: self._files.register(user_id, key, filename=name, file_id=file_id)
        )
        limits = self._limiter.limits_of(user.plan, user.limits)
        return await self._start(user_id, stored, order, limits, "upload", batch_id)

    async def get(self, principal: Principal, batch_id: str) -> Batch:
        """The batch, if it is the caller's (anyone else is told there is none)."""
        batch = (
            await blocking(self._batches.get, batch_id) if batch_id.startswith("batch_") else None
        )
        if batch is None or batch.user_id != principal.user_id:
            raise not_found(batch_id)
        return batch

    async def list(
        self, principal: Principal, *, after: str | None, limit: int
    ) -> tuple[list[Batch], bool]:
        """A page of the caller's batches, newest first, and whether more follow."""
        cursor = await self.get(principal, after) if after else None
        found = await blocking(
            lambda: self._batches.list_for_user(principal.user_id, after=cursor, limit=limit + 1)
        )
        return found[:limit], len(found) > limit

    async def cancel(self, principal: Principal, batch_id: str) -> Batch:
        """Stop starting lines: the batch is `cancelling` until the lines already running
        have finished, then `cancelled`. A batch past running is returned unchanged."""
        batch = await self.get(principal, batch_id)
        if batch.status in RUNNING:
            now = epoch_seconds(self._now())
            await blocking(
                lambda: self._batches.move(batch_id, Status.CANCELLING, now, when=RUNNING)
            )
            batch = await self.get(principal, batch_id)
        return batch

    def expire_due(self) -> int:
        """Mark running batches past their completion window `expiring`: their lines stop
        starting and the state machine finalizes them as `expired`. Blocking."""
        now = epoch_seconds(self._now())
        return sum(
            self._batches.move(batch_id, Status.EXPIRING, now, when=RUNNING)
            for batch_id in self._batches.due(now)
        )

    async def _start(
        self,
        user_id: str,
        stored: StoredFile,
        order: BatchOrder,
        limits: RateLimits,
        source: str,
        batch_id: str | None,
    ) -> Batch:
        now = epoch_seconds(self._now())
        deadline = now + self.completion_window_seconds
        batch = Batch(
            batch_id or new_batch_id(), user_id, order.endpoint, stored.file_id, stored.key,
            now, deadline, limits, metadata=order.metadata, input_lines=stored.lines,
            output_expires_after=order.output_expires_after, source=source,
        )  # fmt: skip
        retained = deadline + self._files.retention_seconds  # the items outlive the files
        batch = await blocking(self._batches.create, batch, retained)
        if batch.status in TERMINAL:
            return batch
        inputs = {"batch_id": batch.batch_id, "key": self._batches.item_key(batch.batch_id),
                  "poll_seconds": self._poll_seconds}  # fmt: skip
        try:
            await blocking(self._workflow.start, batch.batch_id, inputs)
        except BaseException:
            errors = [{"code": "not_started", "message": "The batch could not be started.",
                       "param": None, "line": None}]  # fmt: skip
            await blocking(
                lambda: self._batches.move(
                    batch.batch_id, Status.FAILED, now, when=RUNNING, errors=errors
                )
            )
            raise
        return batch
