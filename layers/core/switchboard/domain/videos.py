"""Video jobs: what a job is, how it moves, where its files live, and the errors it answers.

    pending ──> in_progress ──> completed            (settled once: charged_credits_usd)
       │             │
       └─────────────┴──> failed | cancelled | expired   (the hold released: nothing paid)

A job is written before any provider call, with the hold its price took at submit; every
move out of pending or in_progress is one conditional write, made in the same transaction
as the hold's settlement or release, so a job is paid for once or not at all. `expired`:
nobody polled it for the abandonment time before it completed (`abandoned`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from switchboard.domain.billing import Reservation
from switchboard.domain.money import format_usd
from switchboard.domain.video_renders import VideoRender
from switchboard.errors import (
    ConflictError,
    InvalidRequestError,
    JobNotFoundError,
    PermissionDeniedError,
    PrepaidJobCreditsError,
)

JOB_PREFIX = "video_"  # OpenAI's video ids look so: both API shapes share the jobs
MAX_POLL_SECONDS = 60  # the state machine's back-off stops growing here
MAX_RENDER_SECONDS = 3 * 3600  # a job still rendering this long after submit fails
HOLD_SECONDS = MAX_RENDER_SECONDS + 3600  # the sweeper releases a job's hold after this
CONTENT_URL_SECONDS = 300  # a presigned content URL lives this long


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


RUNNING = frozenset({JobStatus.PENDING, JobStatus.IN_PROGRESS})
TERMINAL = frozenset(set(JobStatus) - RUNNING)


@dataclass(frozen=True, slots=True)
class VideoSpec:
    """What was asked for, checked against the model (domain/video_options.py)."""

    prompt: str
    duration: int
    resolution: str
    aspect_ratio: str
    width: int
    height: int
    variants: int = 1
    generate_audio: bool = False
    seed: int | None = None
    input_images: tuple[str, ...] = ()

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True, slots=True)
class VideoJob:
    job_id: str
    user_id: str  # who submitted it (and may poll it)
    payer_id: str  # whose balance pays: the submitter, or the owner of the app
    app_id: str | None
    model: str
    spec: VideoSpec
    created_at: datetime
    status: JobStatus = JobStatus.PENDING
    hold: Reservation | None = None
    progress: int = 0
    provider_job_id: str | None = None
    polled_at: int | None = None  # epoch seconds of the last poll by anyone
    completed_at: datetime | None = None  # when it ended, whichever way
    settled_at: datetime | None = None
    charged_micro_usd: int | None = None
    produced_seconds: float | None = None
    outputs: tuple[str, ...] = ()  # the MP4s' keys in the bucket, one per variant
    thumbnails: tuple[str | None, ...] = ()
    error: dict[str, Any] | None = None  # {code, message}: safe to show
    content_expires_at: int | None = None  # when the bucket's retention removes the files
    lost_micro_usd: int | None = None  # upstream cost of an abandoned job: the platform's
    deleted: bool = False
    capture: bool = True  # whether its trace keeps input and output (decided at submit)

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    def last_seen(self) -> int:
        """When someone last showed interest: the last poll, or the submission."""
        return self.polled_at if self.polled_at is not None else int(self.created_at.timestamp())

    def abandoned(self, now: int, abandon_seconds: int) -> bool:
        """Running, and nobody has polled it for `abandon_seconds`."""
        return self.running and now - self.last_seen() > abandon_seconds

    def polled(self, now: int) -> VideoJob:
        return replace(self, polled_at=now)


def render_of(job: VideoJob, upstream_model: str) -> VideoRender:
    """What the provider is asked to render for a job."""
    spec = job.spec
    return VideoRender(
        job_id=job.job_id, upstream_model=upstream_model, prompt=spec.prompt,
        seconds=spec.duration, width=spec.width, height=spec.height,
        resolution=spec.resolution, aspect_ratio=spec.aspect_ratio, variants=spec.variants,
        seed=spec.seed, generate_audio=spec.generate_audio, input_images=spec.input_images,
        output_prefix=output_prefix(job.user_id, job.job_id),
    )  # fmt: skip


def unaffordable(model_id: str, price: int, available: int) -> PrepaidJobCreditsError:
    """The 402 of a job whose price the balance cannot hold."""
    return PrepaidJobCreditsError(
        f"Insufficient credits: this video from '{model_id}' costs ${format_usd(price)} but "
        f"your available balance is ${format_usd(available)}. Add credits to continue.",
        required_usd=format_usd(price),
        available_usd=format_usd(max(available, 0)),
    )


def new_job_id() -> str:
    return JOB_PREFIX + secrets.token_hex(12)


def output_prefix(user_id: str, job_id: str) -> str:
    """Where a job's files live in the bucket (the retention rule covers `videos/`)."""
    return f"videos/{user_id}/{job_id}/"


def video_key(user_id: str, job_id: str, index: int) -> str:
    return f"{output_prefix(user_id, job_id)}video-{index}.mp4"


def thumbnail_key(user_id: str, job_id: str, index: int) -> str:
    return f"{output_prefix(user_id, job_id)}thumbnail-{index}.jpg"


def next_wait(wait: int) -> int:
    """The poll back-off: half as long again each time, up to MAX_POLL_SECONDS."""
    return min(MAX_POLL_SECONDS, max(wait + 1, wait * 3 // 2))


def job_error(code: str, message: str) -> dict[str, str]:
    """A job's `error`: OpenAI's video error object ({code, message})."""
    return {"code": code, "message": message}


def job_not_found(job_id: str) -> JobNotFoundError:
    return JobNotFoundError(
        f"No video job with id '{job_id}'.", param="job_id", code="JOB_NOT_FOUND"
    )


def not_yours(job_id: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"The video job '{job_id}' was submitted by another caller of this app.",
        param="job_id",
        code="FORBIDDEN",
    )


def not_completed(job: VideoJob) -> ConflictError:
    return ConflictError(
        f"The video job '{job.job_id}' is {job.status.value}: its content exists once it "
        "is completed.",
        param="job_id",
        code="JOB_NOT_COMPLETED",
    )


def content_index(raw: str | None, job: VideoJob) -> int:
    """The variant a content request names (`index`, default 0): a non-negative integer
    below the number of variants, else 400 INVALID_INDEX."""
    text = "0" if raw is None else raw
    last = max(len(job.outputs), job.spec.variants) - 1
    if not text.isascii() or not text.isdigit() or int(text) > last:
        raise InvalidRequestError(
            f"index must be an integer from 0 to {last}, not '{text[:32]}'.",
            param="index",
            code="INVALID_INDEX",
        )
    return int(text)
