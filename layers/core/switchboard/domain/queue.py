"""Queued requests (`/v1/ai`): submitted, answered later by a worker, polled by id.

A request is `queued` until its answer is stored, then `completed` (the text and OpenAI's
usage) or `failed` (the error envelope's inner object); there are no other statuses. It can
be polled for ASYNC_REQUEST_TTL_SECONDS (24 hours) after it was submitted, and no longer:
expiry is judged on every read, whatever TTL has removed or not.

An Idempotency-Key (per user, at most 255 characters) names one submission for as long: the
same key with the same body answers with the same request and holds nothing more; with a
different body it is refused (422).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from switchboard.domain.billing import Reservation
from switchboard.domain.catalog import Catalog, ModelEntry, ModelType
from switchboard.errors import (
    IdempotencyKeyReusedError,
    InvalidRequestError,
    JobNotFoundError,
    ModelNotFoundError,
)

MAX_IDEMPOTENCY_KEY_CHARS = 255
INLINE_ANSWER_BYTES = 300_000  # longer answers are kept in the blob store, read back on a poll


class Status(StrEnum):
    QUEUED = "queued"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class QueuedInput:
    prompt: str
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    capture: bool = True  # whether its trace keeps input and output (decided at submit)

    def chat_body(self, model: str) -> dict[str, Any]:
        """The chat completion this request asks for, as a request body."""
        messages = [{"role": "system", "content": self.system}] if self.system else []
        body: dict[str, Any] = {
            "model": model,
            "messages": [*messages, {"role": "user", "content": self.prompt}],
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return body


@dataclass(frozen=True, slots=True)
class QueuedRequest:
    request_id: str
    user_id: str
    model: str
    input: QueuedInput
    created_at: datetime
    status: Status = Status.QUEUED
    hold: Reservation | None = None  # the credits held at submit, settled by the worker
    response: str | None = None  # the answer's text, when completed
    response_key: str | None = None  # where the text is kept, when too long for the item
    usage: dict[str, Any] | None = None  # OpenAI's usage object, when completed
    error: dict[str, Any] | None = None  # the error envelope's inner object, when failed
    completed_at: datetime | None = None

    def expired(self, now: datetime, ttl_seconds: int) -> bool:
        return now >= self.created_at + timedelta(seconds=ttl_seconds)


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """One caller's key for one submission, and what it was submitted with."""

    user_id: str
    key: str
    body_hash: str

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()

    def replayed_by(self, body_hash: str, request_id: str) -> str:
        """The request a resubmission with `body_hash` answers with (422 if it differs)."""
        if body_hash != self.body_hash:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used with a different request body; use a "
                "new key for a new request.",
                param="Idempotency-Key",
            )
        return request_id


class DuplicateSubmission(Exception):
    """The Idempotency-Key was taken by a submission stored meanwhile: `request_id`'s."""

    def __init__(self, request_id: str) -> None:
        super().__init__(request_id)
        self.request_id = request_id


def new_request_id() -> str:
    return "aireq_" + secrets.token_hex(12)


def body_hash(body: dict[str, Any]) -> str:
    """A fingerprint of a request body: the same JSON, whatever its key order or spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def check_idempotency_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw.strip() or len(raw) > MAX_IDEMPOTENCY_KEY_CHARS or not raw.isprintable():
        raise InvalidRequestError(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable characters.",
            param="Idempotency-Key",
            code="invalid_value",
        )
    return raw


def queued_model(catalog: Catalog, model_id: str) -> ModelEntry:
    """The chat model a queued request runs on. This API answers 400 for an unknown model
    (code model_not_found) or one that is not a chat model (invalid_model_type), where the
    OpenAI routes answer 404 and 400."""
    try:
        model = catalog.get(model_id)
    except ModelNotFoundError as missing:
        raise InvalidRequestError(missing.message, param="model", code="model_not_found") from None
    if model.type is not ModelType.CHAT:
        raise InvalidRequestError(
            f"'{model.id}' is a {model.type} model; /v1/ai runs chat models.",
            param="model",
            code="invalid_model_type",
        )
    return model


def not_found(request_id: str) -> JobNotFoundError:
    return JobNotFoundError(
        f"No request with id '{request_id}'.", param="req_id", code="request_not_found"
    )
