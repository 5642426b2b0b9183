"""Batches (/v1/batches): a file of requests run later, each line metered like a live
request, with OpenAI's batch object as the result.

    validating ──> in_progress ──> finalizing ──> completed
        │               │
        ├──> failed     ├──> cancelling ──> cancelled      (POST /v1/batches/{id}/cancel)
        │               └──> expiring ───> expired         (past its completion window)
        └──> cancelling / expiring (before any line ran)

A state machine drives each batch (statemachines/batch.asl.json): it validates the file,
splits it into line messages, waits until no line remains, then finalizes. Lines start only
while the batch is `validating` or `in_progress`; once it is cancelling or expiring, the
lines not yet started are skipped (they count as done, in neither `completed` nor
`failed`), the ones running finish and are billed, and the output and error files hold
what ran. `expiring` is ours: OpenAI's object shows it as `in_progress` until `expired`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from switchboard.domain.catalog import ModelType
from switchboard.domain.limits import RateLimits
from switchboard.errors import InvalidRequestError, NotFoundError

COMPLETION_WINDOW = "24h"  # the one window OpenAI's API takes (its length is a setting here)
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_VALUE_CHARS = 512
MIN_OUTPUT_EXPIRY_SECONDS = 3600
MAX_OUTPUT_EXPIRY_SECONDS = 30 * 86_400


class Status(StrEnum):
    VALIDATING = "validating"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    EXPIRING = "expiring"
    EXPIRED = "expired"

    @property
    def running(self) -> bool:
        """Whether lines may start: the batch is neither stopping nor done."""
        return self in RUNNING

    @property
    def shown(self) -> str:
        """The status as OpenAI's batch object names it."""
        return Status.IN_PROGRESS.value if self is Status.EXPIRING else self.value

    @property
    def outcome(self) -> Status:
        """Where finalizing a batch in this status ends."""
        return {Status.CANCELLING: Status.CANCELLED, Status.EXPIRING: Status.EXPIRED}.get(
            self, Status.COMPLETED
        )


RUNNING = frozenset({Status.VALIDATING, Status.IN_PROGRESS})
TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.EXPIRED})
# The timestamp each status records when the batch enters it (OpenAI's *_at fields).
ENTERED_AT = {
    Status.IN_PROGRESS: "in_progress_at",
    Status.FINALIZING: "finalizing_at",
    Status.COMPLETED: "completed_at",
    Status.FAILED: "failed_at",
    Status.CANCELLING: "cancelling_at",
    Status.CANCELLED: "cancelled_at",
    Status.EXPIRED: "expired_at",
}


class Endpoint(StrEnum):
    CHAT = "/v1/chat/completions"
    EMBEDDINGS = "/v1/embeddings"

    @property
    def model_type(self) -> ModelType:
        return ModelType.CHAT if self is Endpoint.CHAT else ModelType.EMBEDDING


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class Batch:
    batch_id: str
    user_id: str
    endpoint: Endpoint
    input_file_id: str
    input_key: str  # the input file's bytes, in the blob store
    created_at: int  # epoch seconds
    deadline: int  # epoch seconds: OpenAI's expires_at, the end of the completion window
    limits: RateLimits  # the owner's, when the batch was made: its lines count in them
    status: Status = Status.VALIDATING
    metadata: dict[str, str] | None = None
    input_lines: int | None = None  # requests in the input, when counted at upload
    output_expires_after: int | None = None  # seconds the output files live (else retention)
    source: str = "api"  # api, or upload (a file put in the bucket)
    counts: Counts = Counts()
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micro_usd: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # why the batch failed
    output_file_id: str | None = None
    error_file_id: str | None = None
    entered: dict[str, int] = field(default_factory=dict)  # ENTERED_AT names -> epoch seconds


@dataclass(frozen=True, slots=True)
class LineState:
    """What a line worker reads before each line: its batch as it stands, and whether the
    line is already done (an earlier delivery stored it)."""

    batch_id: str
    user_id: str
    endpoint: Endpoint
    status: Status
    limits: RateLimits
    expires_at: int  # when the batch's items are cleaned up (TTL); line items share it
    line_done: bool


class LineStatus(StrEnum):
    COMPLETED = "completed"  # its output line is in the output file
    FAILED = "failed"  # its error line is in the error file
    SKIPPED = "skipped"  # never started: the batch was cancelled or expired first


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A line's outcome as kept until the files are made: the output or error line's JSON,
    or where it is kept when too long for an item."""

    number: int
    status: LineStatus
    text: str | None = None
    blob_key: str | None = None


def new_batch_id() -> str:
    return "batch_" + secrets.token_hex(12)


def check_endpoint(endpoint: str) -> Endpoint:
    try:
        return Endpoint(endpoint)
    except ValueError:
        raise InvalidRequestError(
            f"Unsupported endpoint {endpoint!r}: batches run /v1/chat/completions or "
            "/v1/embeddings.",
            param="endpoint",
            code="invalid_value",
        ) from None


def check_window(window: str) -> None:
    if window != COMPLETION_WINDOW:
        raise InvalidRequestError(
            f"Invalid completion_window {window!r}: only '24h' is supported.",
            param="completion_window",
            code="invalid_value",
        )


def check_metadata(metadata: dict[str, str] | None) -> dict[str, str] | None:
    """OpenAI's metadata rule: at most 16 pairs, keys up to 64 characters, values up to 512."""
    if metadata is None:
        return None
    too_long = [
        key
        for key, value in metadata.items()
        if len(key) > MAX_METADATA_KEY_CHARS or len(value) > MAX_METADATA_VALUE_CHARS
    ]
    if len(metadata) > MAX_METADATA_PAIRS or too_long:
        raise InvalidRequestError(
            f"metadata holds at most {MAX_METADATA_PAIRS} pairs, keys of at most "
            f"{MAX_METADATA_KEY_CHARS} characters and values of at most "
            f"{MAX_METADATA_VALUE_CHARS}.",
            param="metadata",
            code="invalid_value",
        )
    return dict(metadata)


def check_output_expiry(anchor: str, seconds: int) -> int:
    """output_expires_after {anchor: "created_at", seconds}: one hour to 30 days."""
    if anchor != "created_at" or not (
        MIN_OUTPUT_EXPIRY_SECONDS <= seconds <= MAX_OUTPUT_EXPIRY_SECONDS
    ):
        raise InvalidRequestError(
            "output_expires_after takes anchor 'created_at' and 3600 to 2592000 seconds.",
            param="output_expires_after",
            code="invalid_value",
        )
    return seconds


@dataclass(frozen=True, slots=True)
class BatchOrder:
    """What a batch is asked to do, checked: POST /v1/batches's fields."""

    endpoint: Endpoint
    metadata: dict[str, str] | None = None
    output_expires_after: int | None = None  # seconds

    @classmethod
    def of(
        cls,
        endpoint: str,
        completion_window: str = "24h",
        metadata: dict[str, str] | None = None,
        output_expires_after: tuple[str, int] | None = None,
    ) -> BatchOrder:
        check_window(completion_window)
        expiry = check_output_expiry(*output_expires_after) if output_expires_after else None
        return cls(check_endpoint(endpoint), check_metadata(metadata), expiry)


def not_found(batch_id: str) -> NotFoundError:
    return NotFoundError(
        f"No batch found with id '{batch_id}'.", param="batch_id", code="batch_not_found"
    )


def input_not_usable(file_id: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The file '{file_id}' cannot start a batch: {why}",
        param="input_file_id",
        code="invalid_input_file",
    )
