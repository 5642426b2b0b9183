"""Video jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from switchboard.domain.videos import JobStatus, VideoJob


class VideoJobRepository(Protocol):
    """Video jobs: written once before any provider call, ended once (adapters/aws/videos.py)."""

    def create(self, job: VideoJob, expires_at: int) -> None: ...

    def get(self, job_id: str) -> VideoJob | None: ...

    def seen(self, job_id: str, now: int) -> VideoJob | None:
        """The job, recording a poll at `now` if it is running (one write)."""
        ...

    def list_for_user(self, user_id: str, *, after: VideoJob | None, limit: int) -> list[VideoJob]:
        """Up to `limit` of a user's jobs, newest first, older than `after`."""
        ...

    def running_since(self, before: int, limit: int = 100) -> list[str]:
        """Up to `limit` ids of running jobs made before `before` (epoch seconds)."""
        ...

    def item_key(self, job_id: str) -> dict[str, Any]: ...

    def started(self, job_id: str, provider_job_id: str) -> bool:
        """Record the provider's job once, moving to in_progress."""
        ...

    def progressed(self, job_id: str, progress: int) -> bool: ...

    def completed(
        self,
        job_id: str,
        *,
        outputs: list[str],
        thumbnails: list[str | None],
        produced_seconds: float,
        charged_micro_usd: int,
        content_expires_at: int,
        now: datetime,
    ) -> Any:
        """The write that completes a running job, for its settlement's transaction."""
        ...

    def ended(
        self,
        job_id: str,
        status: JobStatus,
        now: datetime,
        *,
        error: dict[str, Any] | None = None,
        lost_micro_usd: int | None = None,
    ) -> Any:
        """The write that ends a running job unpaid, for its release's transaction."""
        ...

    def end(self, job_id: str, status: JobStatus, now: datetime, **details: Any) -> bool:
        """`ended` on its own; False if the job was not running."""
        ...

    def deleted(self, job_id: str) -> bool: ...
