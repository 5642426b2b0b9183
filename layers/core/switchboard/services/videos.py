"""Video jobs as the API sees them: submit, poll, list, cancel, delete, and content URLs.

    submit   check the input images (public https only), hold the price (402 when the
             balance cannot), write the job (pending) before any provider call, start its
             state machine, named after the job: 202
    status   the job, recording the poll (a job nobody polls is abandoned: video_steps.py)
    cancel   a running job: cancelled and its hold released in one transaction, then the
             provider's job cancelled where the provider allows it; a finished job as it is
    content  a short-lived presigned URL of one variant's MP4 (or thumbnail): no video byte
             passes through a function

Who sees a job: its submitter. Under an app's routes a job must be that app's (404
otherwise), and another caller's job in that app is 403 (an admin's job in someone's app).
The state machine's steps are services/video_steps.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from switchboard.domain.catalog import Catalog, ModelEntry
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.principals import Principal
from switchboard.domain.video_options import video_options
from switchboard.domain.video_renders import THUMBNAIL_TYPE, VIDEO_TYPE
from switchboard.domain.videos import (
    CONTENT_URL_SECONDS,
    JobStatus,
    VideoJob,
    VideoSpec,
    job_error,
    job_not_found,
    new_job_id,
    not_completed,
    not_yours,
    render_of,
    unaffordable,
)
from switchboard.errors import SwitchboardError, UpstreamError
from switchboard.ports import (
    BlobStore,
    UrlGuard,
    VideoJobRepository,
    VideoProviders,
    Workflow,
)
from switchboard.services.billing import Billing
from switchboard.services.blocking import blocking
from switchboard.services.meter import Meter

ORPHAN_GRACE_SECONDS = 300  # a job's execution starts within milliseconds of its write
ORPHANED = "The video job stopped before it finished; nothing was charged."

logger = logging.getLogger("switchboard.videos")
DAY = 86_400


class VideoService:
    def __init__(
        self,
        jobs: VideoJobRepository,
        blobs: BlobStore,
        workflow: Workflow,
        catalog: Catalog,
        providers: VideoProviders,
        urls: UrlGuard,
        billing: Billing,
        *,
        poll_seconds: int,
        retention_days: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._jobs = jobs
        self._blobs = blobs
        self._workflow = workflow
        self.catalog = catalog
        self._providers = providers
        self._urls = urls
        self._billing = billing
        self._poll_seconds = poll_seconds
        self.retention_days = retention_days
        self._now = now

    async def submit(
        self, principal: Principal, meter: Meter, model: ModelEntry, spec: VideoSpec
    ) -> VideoJob:
        """Hold the job's price, write the job, start its state machine."""
        for url in spec.input_images:
            await blocking(self._urls.check, url)
        self._provider_ready(model)
        price = video_options(model).price_micro_usd(spec.duration)
        await meter.hold(model, price, lambda balance: unaffordable(model.id, price, balance))
        now = self._now()
        job = VideoJob(
            new_job_id(), principal.user_id, meter.payer_id, meter.app_id, model.id, spec, now,
            hold=meter.reservation,  # the worker's trace captures as this request says:
            capture=meter.trace.capture if meter.trace is not None else True,
        )  # fmt: skip
        expires_at = epoch_seconds(now) + (self.retention_days + 2) * DAY
        try:
            await blocking(self._jobs.create, job, expires_at)
        except BaseException:
            await meter.release("the video job could not be stored")
            raise
        try:
            await blocking(self._start, job)
        except BaseException as exc:
            error = job_error("processing_failed", _safe(exc))
            ended = self._jobs.ended(job.job_id, JobStatus.FAILED, self._now(), error=error)
            await meter.release("the video job could not be started", [ended])
            raise
        return job

    async def status(self, principal: Principal, job_id: str, app_id: str | None) -> VideoJob:
        """The job as it stands, for its submitter; the poll is recorded."""
        job = await blocking(self._jobs.seen, job_id, epoch_seconds(self._now()))
        return _visible(job, job_id, principal, app_id)

    async def get(self, principal: Principal, job_id: str, app_id: str | None) -> VideoJob:
        """The job, without recording a poll."""
        return _visible(await blocking(self._jobs.get, job_id), job_id, principal, app_id)

    async def list(
        self, principal: Principal, *, after: str | None, limit: int
    ) -> tuple[list[VideoJob], bool]:
        """A page of the caller's jobs, newest first, and whether more follow."""
        cursor = await self.get(principal, after, None) if after else None
        found = await blocking(
            lambda: self._jobs.list_for_user(principal.user_id, after=cursor, limit=limit + 1)
        )
        return found[:limit], len(found) > limit

    async def cancel(self, principal: Principal, job_id: str, app_id: str | None) -> VideoJob:
        """Cancel a running job (released, nothing paid); a finished one is returned as is."""
        job = await self.get(principal, job_id, app_id)
        if job.running:
            error = job_error("cancelled", "The video job was cancelled.")
            status, now = JobStatus.CANCELLED, self._now()
            await end_unpaid(self._billing, self._jobs, job, status, error, now)
            if job.provider_job_id is not None:
                await self._cancel_upstream(job)
            job = await self.get(principal, job_id, app_id)
        return job

    async def end_orphans(self, grace_seconds: int = ORPHAN_GRACE_SECONDS) -> int:
        """The sweeper's part: running jobs whose execution is not running (never started,
        as when a container dies between the job's write and the start, or stopped by
        hand) end `failed`, their holds released and their provider jobs cancelled. Jobs
        younger than `grace_seconds` are left to their start. How many it ended."""
        now = self._now()
        stale = await blocking(self._jobs.running_since, epoch_seconds(now) - grace_seconds)
        ended = 0
        for job_id in stale:
            if await blocking(self._workflow.running, job_id):
                continue
            job = await blocking(self._jobs.get, job_id)
            if job is None or not job.running:
                continue
            error = job_error("processing_failed", ORPHANED)
            if await end_unpaid(self._billing, self._jobs, job, JobStatus.FAILED, error, now):
                ended += 1
                logger.warning("video job orphaned", extra={"job_id": job_id})
                if job.provider_job_id is not None:
                    await self._cancel_upstream(job)
        return ended

    async def delete(self, principal: Principal, job_id: str) -> None:
        """Cancel the job if it runs, then remove its files; it is then not found."""
        job = await self.cancel(principal, job_id, None)
        for key in [*job.outputs, *[k for k in job.thumbnails if k]]:
            await blocking(self._blobs.delete, key)
        await blocking(self._jobs.deleted, job.job_id)

    async def content_url(
        self,
        principal: Principal,
        job_id: str,
        app_id: str | None,
        index: Callable[[VideoJob], int],
        *,
        thumbnail: bool = False,
    ) -> str:
        """A presigned URL of one variant's MP4 (or its thumbnail); 409 until completed."""
        job = await self.get(principal, job_id, app_id)
        chosen = index(job)  # 400 for an index the job can never have, before 409
        if job.status is not JobStatus.COMPLETED:
            raise not_completed(job)
        key = job.thumbnails[chosen] if thumbnail else job.outputs[chosen]
        if key is None:
            raise job_not_found(job_id)
        kind = THUMBNAIL_TYPE if thumbnail else VIDEO_TYPE
        return await blocking(
            lambda: self._blobs.download_url(key, expires_in=CONTENT_URL_SECONDS, content_type=kind)
        )

    def _provider_ready(self, model: ModelEntry) -> None:
        """502 MODEL_UNAVAILABLE, before anything is held, when the model's provider cannot
        be reached (not configured, no key, no video support)."""
        try:
            self._providers.video(model.provider)
        except SwitchboardError as exc:
            logger.warning("video provider unavailable", extra={"model": model.id,
                                                                 "error": exc.message})  # fmt: skip
            raise UpstreamError(
                f"The model '{model.id}' is unavailable at the moment; try again later.",
                param="model",
                code="MODEL_UNAVAILABLE",
            ) from None

    def _start(self, job: VideoJob) -> None:
        wait = self._poll_seconds
        self._workflow.start(job.job_id, {
            "job_id": job.job_id, "key": self._jobs.item_key(job.job_id),
            "polled": {"state": "running", "wait": wait},
        })  # fmt: skip

    async def _cancel_upstream(self, job: VideoJob) -> None:
        model = self.catalog.find(job.model)
        if model is None or job.provider_job_id is None:
            return
        try:
            provider = self._providers.video(model.provider)
            await provider.cancel(render_of(job, model.upstream_model), job.provider_job_id)
        except SwitchboardError as exc:  # the job is cancelled for us: best effort upstream
            logger.warning("provider cancel failed", extra={"job_id": job.job_id,
                                                            "error": exc.message})  # fmt: skip


async def end_unpaid(
    billing: Billing,
    jobs: VideoJobRepository,
    job: VideoJob,
    status: JobStatus,
    error: dict[str, Any],
    now: datetime,
    lost_micro_usd: int | None = None,
) -> bool:
    """End a running job unpaid: its status and its hold's release in one transaction.
    False when it had ended already (its hold closed by another ending or a settlement)."""
    ended = jobs.ended(job.job_id, status, now, error=error, lost_micro_usd=lost_micro_usd)
    if job.hold is None:
        return await blocking(lambda: jobs.end(job.job_id, status, now, error=error,
                                               lost_micro_usd=lost_micro_usd))  # fmt: skip
    meter = billing.meter_of(job.hold).start_trace(
        "videos", "video", at=job.created_at, metadata={"job_id": job.job_id},
        capture=job.capture,
    )  # fmt: skip
    if await meter.release(f"video job {status.value}", [ended]):
        return True
    # The hold was closed already: by the sweeper (the job outlived HOLD_SECONDS), or by
    # another ending or the settlement, in which case the job is no longer running.
    return await blocking(lambda: jobs.end(job.job_id, status, now, error=error))


def _visible(
    job: VideoJob | None, job_id: str, principal: Principal, app_id: str | None
) -> VideoJob:
    if job is None or job.deleted:
        raise job_not_found(job_id)
    if app_id is not None:
        if job.app_id != app_id:
            raise job_not_found(job_id)
        if job.user_id != principal.user_id:
            raise not_yours(job_id)
    elif job.user_id != principal.user_id:
        raise job_not_found(job_id)
    return job


def _safe(exc: BaseException) -> str:
    if isinstance(exc, SwitchboardError):
        return exc.message
    return "The video job could not be started."


__all__: Sequence[str] = ("VideoService", "end_unpaid")
