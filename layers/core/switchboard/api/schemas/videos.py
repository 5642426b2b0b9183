"""Video jobs in their two shapes: ours (POST /v1/videos/completions and its answers) and
OpenAI's video object (/v1/videos). Times are unix seconds; money a six-decimal USD string.

OpenAI's statuses are fewer: pending is `queued`, and a cancelled or expired job is
`failed`, its error saying which.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.domain.money import format_usd
from switchboard.domain.videos import JobStatus, VideoJob

ModelId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
_OPENAI_STATUS = {
    JobStatus.PENDING: "queued",
    JobStatus.IN_PROGRESS: "in_progress",
    JobStatus.COMPLETED: "completed",
}


class SubmitVideo(BaseModel):
    """POST /v1/videos/completions (and under an app: `model` may then be omitted)."""

    model_config = ConfigDict(extra="forbid")

    model: ModelId | None = None
    prompt: Annotated[str, StringConstraints(min_length=1)]
    duration: Annotated[int, Field(ge=1)] | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    generate_audio: bool | None = None
    seed: int | None = None
    input_images: Annotated[list[Url], Field(max_length=8)] | None = None


class ImageReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_url: Url | None = None
    file_id: str | None = None


class CreateVideo(BaseModel):
    """POST /v1/videos, OpenAI's shape (JSON, or the SDK's multipart form)."""

    model_config = ConfigDict(extra="forbid")

    prompt: Annotated[str, StringConstraints(min_length=1)]
    model: ModelId | None = None
    seconds: str | None = None
    size: str | None = None
    input_reference: ImageReference | None = None


def job_view(job: VideoJob, base_url: str, app_id: str | None) -> dict[str, Any]:
    """Our shape of a job; URLs absolute, under the route family it was asked through."""
    polling_url = _job_url(base_url, app_id, job.job_id)
    completed = job.status is JobStatus.COMPLETED
    count = len(job.outputs) if completed else 0
    return {
        "job_id": job.job_id,
        "status": job.status.value,
        "model": job.model,
        "polling_url": polling_url,
        "content_urls": [f"{polling_url}/content?index={n}" for n in range(count)],
        "error": job.error,
        "created_at": int(job.created_at.timestamp()),
        "charged_credits_usd": _charged(job),
        "settled_at": int(job.settled_at.timestamp()) if job.settled_at else None,
    }


def submitted_view(job: VideoJob, base_url: str, app_id: str | None) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "status": job.status.value,
        "polling_url": _job_url(base_url, app_id, job.job_id),
    }


def operator_fields(job: VideoJob) -> dict[str, Any]:
    """What an admin also sees of a job: the upstream cost the platform bore."""
    lost = job.lost_micro_usd
    return {"platform_loss_usd": format_usd(lost) if lost else None}


def openai_view(job: VideoJob) -> dict[str, Any]:
    """OpenAI's video object."""
    status = _OPENAI_STATUS.get(job.status, "failed")
    completed = job.completed_at if job.status is JobStatus.COMPLETED else None
    return {
        "id": job.job_id,
        "object": "video",
        "model": job.model,
        "status": status,
        "progress": 100 if job.status is JobStatus.COMPLETED else job.progress,
        "created_at": int(job.created_at.timestamp()),
        "completed_at": int(completed.timestamp()) if completed else None,
        "expires_at": job.content_expires_at,
        "prompt": job.spec.prompt,
        "size": job.spec.size,
        "seconds": str(job.spec.duration),
        "remixed_from_video_id": None,
        "error": _openai_error(job) if status == "failed" else None,
    }


def openai_list(jobs: list[VideoJob], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [openai_view(job) for job in jobs],
        "first_id": jobs[0].job_id if jobs else None,
        "last_id": jobs[-1].job_id if jobs else None,
        "has_more": has_more,
    }


def _charged(job: VideoJob) -> str | None:
    if job.settled_at is None or job.charged_micro_usd is None:
        return None
    return format_usd(job.charged_micro_usd)


def _openai_error(job: VideoJob) -> dict[str, str]:
    error = job.error or {}
    code = str(error.get("code") or job.status.value)
    message = str(error.get("message") or f"The video job is {job.status.value}.")
    return {"code": code, "message": message}


def _job_url(base_url: str, app_id: str | None, job_id: str) -> str:
    scope = f"/v1/{app_id}" if app_id else "/v1"
    return f"{base_url}{scope}/videos/completions/{job_id}"
