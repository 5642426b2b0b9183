"""The video state machine's steps (statemachines/video.asl.json), each a message on
VideoStepsQueue carrying the task token the state machine waits on:

    submit   the provider is asked to render (once: the provider's job id is recorded once,
             and providers take our job id as their idempotency token): in_progress
    poll     the provider is asked how it goes: running (progress recorded, the next wait
             half as long again), done, or failed (the job fails with a safe message, its
             hold released). A job nobody has polled for VIDEO_ABANDON_SECONDS expires
             here: the provider's job cancelled, the hold released, and what the provider
             had already produced recorded as the platform's loss, never charged
    finish   each variant copied into our bucket (and its thumbnail), then the job is
             completed and settled in one transaction, for the seconds the provider produced
    fail     a step failed or timed out: the job fails, its hold released

Every step is safe to run twice (SQS delivers at least once): a job that is no longer
running is left alone, a job that has its provider's job is not submitted again, and a hold
is settled or released once (the ledger's condition), so a redelivered message neither
renders twice nor charges twice. A step message that fails every delivery is dead-lettered:
`bury` fails the job and the state machine's step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from switchboard.domain.catalog import Catalog, ModelEntry
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.money import format_usd
from switchboard.domain.video_options import video_options
from switchboard.domain.video_renders import RenderedFile, RenderProgress, RenderState
from switchboard.domain.videos import (
    MAX_RENDER_SECONDS,
    JobStatus,
    VideoJob,
    job_error,
    next_wait,
    render_of,
    video_key,
)
from switchboard.errors import SwitchboardError
from switchboard.ports import VideoJobRepository, VideoProvider, VideoProviders, Workflow
from switchboard.services.billing import Billing
from switchboard.services.blocking import blocking
from switchboard.services.videos import end_unpaid

logger = logging.getLogger("switchboard.videos")
RUNNING, DONE, STOPPED = "running", "done", "stopped"
FAILED_MESSAGE = "The video could not be generated."


class VideoSteps:
    def __init__(
        self,
        jobs: VideoJobRepository,
        providers: VideoProviders,
        catalog: Catalog,
        billing: Billing,
        workflow: Workflow,
        *,
        abandon_seconds: int,
        retention_days: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._jobs = jobs
        self._providers = providers
        self._catalog = catalog
        self._billing = billing
        self._workflow = workflow
        self.abandon_seconds = abandon_seconds
        self._retention_seconds = retention_days * 86_400
        self._now = now

    async def run(self, message: dict[str, Any]) -> None:
        """Do the step a message asks for, then answer the state machine's token."""
        steps = {"submit": self.submit, "poll": self.poll, "finish": self.finish,
                 "fail": self.fail}  # fmt: skip
        output = await steps[str(message["step"])](message)
        await blocking(self._workflow.succeed, str(message["token"]), output)

    async def bury(self, message: dict[str, Any]) -> None:
        """A step that failed every delivery: the job fails, and so does the step."""
        await self.fail(message)
        await blocking(self._workflow.fail, str(message["token"]), "VideoStepFailed",
                       FAILED_MESSAGE)  # fmt: skip

    async def submit(self, message: dict[str, Any]) -> dict[str, Any]:
        job, model = await self._running(message)
        if job is None or model is None:
            return {"state": STOPPED}
        if job.provider_job_id is not None:  # a redelivery: the render is under way
            return {"state": RUNNING}
        render = render_of(job, model.upstream_model)
        try:
            provider_job_id = await self._provider(model).submit(render)
        except SwitchboardError as exc:
            await self._failed(job, exc.message)
            return {"state": STOPPED}
        await blocking(self._jobs.started, job.job_id, provider_job_id)
        return {"state": RUNNING}

    async def poll(self, message: dict[str, Any]) -> dict[str, Any]:
        job, model = await self._running(message)
        wait = next_wait(int(message.get("wait") or 1))
        if job is None or model is None or job.provider_job_id is None:
            return {"state": STOPPED, "wait": wait}
        now = epoch_seconds(self._now())
        progress = await self._progress(job, model)
        if job.abandoned(now, self.abandon_seconds):
            await self._expire(job, model, progress)
            return {"state": STOPPED, "wait": wait}
        if progress.state is RenderState.FAILED:
            await self._failed(job, progress.error or FAILED_MESSAGE)
            return {"state": STOPPED, "wait": wait}
        if progress.state is RenderState.DONE:
            return {"state": DONE, "wait": wait, "variants": progress.variants,
                    "seconds": progress.seconds}  # fmt: skip
        if now - int(job.created_at.timestamp()) > MAX_RENDER_SECONDS:
            await self._failed(job, "The video took too long to generate.")
            return {"state": STOPPED, "wait": wait}
        if progress.progress != job.progress:
            await blocking(self._jobs.progressed, job.job_id, progress.progress)
        return {"state": RUNNING, "wait": wait}

    async def finish(self, message: dict[str, Any]) -> dict[str, Any]:
        """Copy the variants into our bucket, then complete and settle, once."""
        job, model = await self._running(message)
        if job is None or model is None or job.provider_job_id is None:
            return {"state": STOPPED}
        render, provider = render_of(job, model.upstream_model), self._provider(model)
        count = max(1, int(message.get("variants") or job.spec.variants))
        files: list[RenderedFile] = []
        for index in range(count):
            key = video_key(job.user_id, job.job_id, index)
            files.append(await provider.fetch(render, job.provider_job_id, index, key))
        produced = _produced(message.get("seconds"), files, job.spec.duration)
        return {"state": await self._settle(job, model, files, produced)}

    async def fail(self, message: dict[str, Any]) -> dict[str, Any]:
        """A step failed or timed out (the state machine caught it): the job fails."""
        job = await blocking(self._jobs.get, str(message["job_id"]))
        if job is not None and job.running:
            logger.warning("video step failed", extra={"job_id": job.job_id,
                                                       "error": message.get("error")})  # fmt: skip
            await self._failed(job, FAILED_MESSAGE)
        return {"state": STOPPED}

    async def _settle(
        self, job: VideoJob, model: ModelEntry, files: list[RenderedFile], produced: float
    ) -> str:
        options, now = video_options(model), self._now()
        cost = options.cost_micro_usd(produced, job.spec.duration)
        completed = self._jobs.completed(
            job.job_id,
            outputs=[f.key for f in files],
            thumbnails=[f.thumbnail_key for f in files],
            produced_seconds=produced,
            charged_micro_usd=min(cost, job.hold.amount_micro_usd if job.hold else cost),
            content_expires_at=epoch_seconds(now) + self._retention_seconds,
            now=now,
        )
        if job.hold is None:
            return STOPPED
        what = f"{produced:g} s of video x {job.spec.variants} from {model.id}"
        meter = self._billing.meter_of(job.hold).start_trace(
            "videos", "video", at=job.created_at, metadata={"job_id": job.job_id},
            capture=job.capture,
        )  # fmt: skip
        meter.capture(job.spec.prompt, {"seconds": produced, "variants": job.spec.variants})
        charge = await meter.settle_fixed(cost, what, [completed])
        await meter.store_bodies()
        if charge is not None:
            logger.info("video job completed", extra={"job_id": job.job_id,
                        "charged_usd": format_usd(charge.billed_micro_usd)})  # fmt: skip
            return "completed"
        latest = await blocking(self._jobs.get, job.job_id)
        if latest is not None and latest.running:  # the hold was swept: never serve unpaid
            await blocking(lambda: self._jobs.end(job.job_id, JobStatus.FAILED, self._now(),
                           error=job_error("hold_released", FAILED_MESSAGE)))  # fmt: skip
        return STOPPED

    async def _expire(self, job: VideoJob, model: ModelEntry, progress: RenderProgress) -> None:
        """Nobody polled: the job expires, and what was rendered is the platform's loss."""
        lost = 0
        if progress.state is RenderState.DONE:
            lost = video_options(model).cost_micro_usd(progress.seconds or 0, job.spec.duration)
        error = job_error("expired", "Nobody polled the video job before it completed.")
        if await end_unpaid(self._billing, self._jobs, job, JobStatus.EXPIRED, error,
                            self._now(), lost_micro_usd=lost or None):  # fmt: skip
            logger.warning("video job abandoned", extra={"job_id": job.job_id,
                           "platform_loss_micro_usd": lost})  # fmt: skip
        try:
            await self._provider(model).cancel(render_of(job, model.upstream_model),
                                               str(job.provider_job_id))  # fmt: skip
        except SwitchboardError as exc:
            logger.warning("provider cancel failed", extra={"job_id": job.job_id,
                                                            "error": exc.message})  # fmt: skip

    async def _progress(self, job: VideoJob, model: ModelEntry) -> RenderProgress:
        """The provider's report; a provider that cannot answer now is asked again later."""
        try:
            return await self._provider(model).status(
                render_of(job, model.upstream_model), str(job.provider_job_id)
            )
        except SwitchboardError as exc:
            logger.warning("video status unavailable", extra={"job_id": job.job_id,
                                                              "error": exc.message})  # fmt: skip
            return RenderProgress(RenderState.RUNNING, progress=job.progress)

    async def _failed(self, job: VideoJob, message: str) -> None:
        error = job_error("generation_failed", message)
        await end_unpaid(self._billing, self._jobs, job, JobStatus.FAILED, error, self._now())

    async def _running(self, message: dict[str, Any]) -> tuple[VideoJob | None, ModelEntry | None]:
        job = await blocking(self._jobs.get, str(message["job_id"]))
        if job is None or not job.running:
            return None, None
        return job, self._catalog.find(job.model)

    def _provider(self, model: ModelEntry) -> VideoProvider:
        return self._providers.video(model.provider)


def _produced(reported: Any, files: list[RenderedFile], asked: int) -> float:
    """The seconds each variant lasts: the provider's figure (status or fetch), else the
    duration asked for."""
    for seconds in [reported, *(f.seconds for f in files)]:
        if isinstance(seconds, int | float) and seconds >= 0:
            return float(seconds)
    return float(asked)
