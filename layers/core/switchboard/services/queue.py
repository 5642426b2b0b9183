"""The request queue (/v1/ai): submit, answer in a worker, poll.

    submit   (API)     count and hold (the caller's window, the payer's credits), store the
                       request with its hold, enqueue one message: 202
    process  (worker)  the request is still queued: call the model on the hold taken at
                       submit; the answer (or the failure) is stored in the same transaction
                       as the settlement (or the release), so it is stored and paid once
    bury     (dead-letter consumer)  a message that failed every delivery: the request
                       fails and its hold is released
    status   (API)     the request as it stands, for its owner, for ASYNC_REQUEST_TTL_SECONDS

SQS may deliver a message twice, or again after a worker died: a request that is no longer
queued is left alone, and a hold closed twice is closed once (the ledger's condition).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import anyio.to_thread

from switchboard.domain.accounts import MAX_ID_LENGTH
from switchboard.domain.catalog import Catalog
from switchboard.domain.clock import utcnow
from switchboard.domain.principals import Principal
from switchboard.domain.queue import (
    INLINE_ANSWER_BYTES,
    DuplicateSubmission,
    IdempotencyKey,
    QueuedInput,
    QueuedRequest,
    body_hash,
    new_request_id,
    not_found,
    queued_model,
)
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.errors import SwitchboardError, error_body
from switchboard.ports import BlobStore, JobQueue, QueuedRequestRepository
from switchboard.services.billing import Billing
from switchboard.services.inference import InferenceService
from switchboard.services.meter import Meter

logger = logging.getLogger("switchboard.queue")
Result = TypeVar("Result")
CLEANUP_GRACE_SECONDS = 86_400  # TTL removes an item a day after it stops being served


class QueueService:
    def __init__(
        self,
        requests: QueuedRequestRepository,
        jobs: JobQueue,
        blobs: BlobStore,
        catalog: Catalog,
        inference: InferenceService,
        billing: Billing,
        *,
        ttl_seconds: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._requests = requests
        self._jobs = jobs
        self._blobs = blobs
        self._catalog = catalog
        self._inference = inference
        self._billing = billing
        self.ttl_seconds = ttl_seconds
        self._now = now

    async def submit(
        self,
        principal: Principal,
        meter: Meter,
        given: QueuedInput,
        model_id: str,
        body: dict[str, Any],
        idempotency_key: str | None,
    ) -> QueuedRequest:
        """Hold, store and enqueue a request (`body`: as sent, for the idempotency check)."""
        key = IdempotencyKey(principal.user_id, idempotency_key, body_hash(body)) if (
            idempotency_key
        ) else None  # fmt: skip
        replayed = await self._replayed(key)
        if replayed is not None:
            return replayed
        model = queued_model(self._catalog, model_id)
        chat = ChatCompletionRequest.model_validate(given.chat_body(model.id))
        self._inference.chat_model(chat)  # the model's context and output limits
        cap = await meter.admit(model, chat.prompt_tokens, chat.output_limit)
        if cap is not None:  # the balance affords only this much output: run it so
            given = replace(given, max_tokens=cap)
        if meter.trace is not None:  # the worker's trace captures as this request says
            given = replace(given, capture=meter.trace.capture)
        now = self._now()
        request = QueuedRequest(
            new_request_id(), principal.user_id, model.id, given, now, hold=meter.reservation
        )
        expires_at = int(now.timestamp()) + self.ttl_seconds + CLEANUP_GRACE_SECONDS
        try:
            await _blocking(self._requests.create, request, key, expires_at)
        except DuplicateSubmission as duplicate:  # the same key, submitted at the same moment
            await meter.release(f"a duplicate of {duplicate.request_id}")
            return await self.status(principal, duplicate.request_id)
        except BaseException:
            await meter.release("the request could not be stored")
            raise
        try:
            await _blocking(self._jobs.send, {"request_id": request.request_id})
        except BaseException as exc:
            failed = self._requests.failed(request.request_id, _inner(exc), now)
            await meter.release("the request could not be queued", [failed])
            raise
        return request

    async def status(self, principal: Principal, request_id: str) -> QueuedRequest:
        """The request, if it is the caller's (or the caller is an admin) and not expired."""
        known = len(request_id) <= MAX_ID_LENGTH
        request = await _blocking(self._requests.get, request_id) if known else None
        if (
            request is None
            or not (principal.is_admin or request.user_id == principal.user_id)
            or request.expired(self._now(), self.ttl_seconds)
        ):
            raise not_found(request_id)
        return request

    async def page(
        self, principal: Principal, *, after: str | None, limit: int
    ) -> tuple[list[QueuedRequest], str | None]:
        """A page of the caller's queued requests still kept, oldest first."""
        now = self._now()
        return await _blocking(
            lambda: self._requests.page_for_user(
                principal.user_id, after=after, limit=limit,
                keep=lambda request: not request.expired(now, self.ttl_seconds),
            )
        )  # fmt: skip

    async def answer(self, request: QueuedRequest) -> str | None:
        """The answer's text, read back from the blob store when it was kept there."""
        if request.response_key is None:
            return request.response
        data = await _blocking(self._blobs.get, request.response_key)
        return data.decode("utf-8")

    async def process(self, message: dict[str, Any]) -> None:
        """A worker's part: answer a request that is still queued (or do nothing)."""
        request = await _blocking(self._requests.get, str(message["request_id"]))
        if request is None or request.status.value != "queued" or request.hold is None:
            return  # unknown, or answered already: a redelivery
        chat = ChatCompletionRequest.model_validate(request.input.chat_body(request.model))
        meter = self._billing.meter_of(request.hold).start_trace(
            "ai", "llm", at=request.created_at, metadata={"request_id": request.request_id},
            capture=request.input.capture,
        )  # fmt: skip
        record = _Record(self, request, self._now)
        try:
            await self._inference.complete(chat, meter, admitted=True, record=record)
        except SwitchboardError as exc:  # the model failed: stored as the request's failure
            logger.warning("queued request failed", extra={"request_id": request.request_id,
                                                           "error": exc.message})  # fmt: skip
            return
        finally:
            await meter.store_bodies()
        if not record.settled(meter):
            # The hold was closed already (released after a crash): never serve unbilled.
            error = {"message": "The request could not be completed.", "type": "server_error",
                     "param": None, "code": "hold_released"}  # fmt: skip
            await _blocking(self._requests.fail, request.request_id, error, self._now())

    async def bury(self, message: dict[str, Any]) -> None:
        """A dead-lettered message: its request fails, and its hold is released."""
        request = await _blocking(self._requests.get, str(message["request_id"]))
        if request is None or request.status.value != "queued":
            return
        error = {"message": "The request could not be processed; submit it again.",
                 "type": "server_error", "param": None, "code": "processing_failed"}  # fmt: skip
        now = self._now()
        if request.hold is None:
            await _blocking(self._requests.fail, request.request_id, error, now)
            return
        meter = self._billing.meter_of(request.hold)
        await meter.release(
            "dead-lettered", [self._requests.failed(request.request_id, error, now)]
        )

    def _store_answer(self, request: QueuedRequest, body: dict[str, Any]) -> Sequence[Any]:
        text = body["choices"][0]["message"].get("content") or ""
        response, key = text, None
        if len(text.encode("utf-8")) > INLINE_ANSWER_BYTES:  # kept beside, read back on a poll
            key = f"answers/{request.user_id}/{request.request_id}.txt"
            self._blobs.put(key, text.encode("utf-8"), content_type="text/plain; charset=utf-8")
            response = None
        return [
            self._requests.completed(
                request.request_id, response=response, response_key=key,
                usage=body["usage"], now=self._now(),
            )
        ]  # fmt: skip

    async def _replayed(self, key: IdempotencyKey | None) -> QueuedRequest | None:
        if key is None:
            return None
        found = await _blocking(self._requests.idempotent, key)
        if found is None:
            return None
        request_id = key.replayed_by(found[0], found[1])  # 422 for another body
        request = await _blocking(self._requests.get, request_id)
        if request is None or request.expired(self._now(), self.ttl_seconds):
            return None  # the key's first request has gone: a new submission
        return request


class _Record:
    """The queued request's outcome, written with its settlement or release."""

    def __init__(
        self, service: QueueService, request: QueuedRequest, now: Callable[[], datetime]
    ) -> None:
        self._service = service
        self._request = request
        self._now = now
        self.writes: list[Any] = []

    def answered(self, body: dict[str, Any]) -> Sequence[Any]:
        self.writes = list(self._service._store_answer(self._request, body))
        return self.writes

    def failed(self, error: SwitchboardError) -> Sequence[Any]:
        repo = self._service._requests
        return [repo.failed(self._request.request_id, _inner(error), self._now())]

    def settled(self, meter: Meter) -> bool:
        """Whether the settlement (with the answer) went through."""
        return meter.charge is not None


def _inner(exc: BaseException) -> dict[str, Any]:
    """The error envelope's inner object (a stored request's `error`)."""
    inner: dict[str, Any] = error_body(exc)["error"]
    return inner


async def _blocking(function: Callable[..., Result], *args: Any) -> Result:
    """A blocking call (a repository's, the blob store's) in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)
