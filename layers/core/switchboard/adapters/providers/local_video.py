"""The `local` video provider: renders offline with PyAV (video_render.py), in a function of
its own (VideoRenderFunction, whose layer holds PyAV and Pillow: too large to sit beside the
gateway's), reached through a queue, like an upstream that writes into our bucket.

    submit   a message on VideoRenderQueue naming the render; the provider's job id is
             `local-<job id>` (the same for the same job: a repeated submit renders once,
             the renderer skipping a render whose result is there)
    status   the result object under the job's prefix: absent (running), or what the
             renderer made (done: variants and seconds) or why it failed
    fetch    the renderer wrote each variant at the job's own keys (video-<n>.mp4 and
             thumbnail-<n>.jpg): nothing is copied, the file is checked and described
    cancel   a marker under the job's prefix: a render that has not started never starts

`LocalRenderer` is the function's part: it renders, puts the MP4s (stored as video/mp4)
and thumbnails, then the result, last, so that a result always means the files are there.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import anyio.to_thread

from switchboard.adapters.aws.blobs import S3Blobs
from switchboard.adapters.aws.queues import SqsJobQueue
from switchboard.domain.video_renders import (
    THUMBNAIL_TYPE,
    VIDEO_TYPE,
    RenderedFile,
    RenderProgress,
    RenderState,
    VideoRender,
)
from switchboard.errors import NotFoundError, UpstreamError

logger = logging.getLogger("switchboard.providers")
RESULT = "render.json"
CANCELLED = "cancelled"
FAILED = "The local renderer could not render this video."


def local_video_key(prefix: str, index: int) -> str:
    return f"{prefix}video-{index}.mp4"


def local_thumbnail_key(prefix: str, index: int) -> str:
    return f"{prefix}thumbnail-{index}.jpg"


class LocalVideoProvider:
    def __init__(self, renders: SqsJobQueue, blobs: S3Blobs) -> None:
        self._renders = renders
        self._blobs = blobs

    async def submit(self, render: VideoRender) -> str:
        message = {
            "job_id": render.job_id, "prompt": render.prompt, "seconds": render.seconds,
            "width": render.width, "height": render.height, "seed": render.seed,
            "variants": render.variants, "prefix": render.output_prefix,
        }  # fmt: skip
        await anyio.to_thread.run_sync(self._renders.send, message)
        return f"local-{render.job_id}"

    async def status(self, render: VideoRender, provider_job_id: str) -> RenderProgress:
        result = await anyio.to_thread.run_sync(self._result, render.output_prefix)
        if result is None:
            return RenderProgress(RenderState.RUNNING, progress=50)
        if result.get("error"):
            return RenderProgress(RenderState.FAILED, error=FAILED)
        return RenderProgress(
            RenderState.DONE, progress=100, variants=int(result["variants"]),
            seconds=float(result["seconds"]),
        )  # fmt: skip

    async def fetch(
        self, render: VideoRender, provider_job_id: str, index: int, key: str
    ) -> RenderedFile:
        written = local_video_key(render.output_prefix, index)
        if key != written:
            raise UpstreamError("The local renderer writes only at the job's own keys.")
        size = await anyio.to_thread.run_sync(self._blobs.size, written)
        if size is None:
            raise UpstreamError("The local renderer's video is missing.")
        result = await anyio.to_thread.run_sync(self._result, render.output_prefix) or {}
        thumbnail = local_thumbnail_key(render.output_prefix, index)
        return RenderedFile(written, size, thumbnail, result.get("seconds"))

    async def cancel(self, render: VideoRender, provider_job_id: str) -> bool:
        """Stop a render that has not started (a started one takes seconds to finish)."""
        key = render.output_prefix + CANCELLED
        await anyio.to_thread.run_sync(lambda: self._blobs.put(key, b"", content_type="text/plain"))
        return await anyio.to_thread.run_sync(self._result, render.output_prefix) is None

    def _result(self, prefix: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = json.loads(self._blobs.get(prefix + RESULT))
        except NotFoundError:
            return None
        return found


class LocalRenderer:
    """VideoRenderFunction's handler: one render message at a time."""

    def __init__(self, blobs: S3Blobs, workdir: Path | None = None) -> None:
        self._blobs = blobs
        self._workdir = workdir or Path(tempfile.gettempdir()) / "switchboard-renders"

    def handle(self, message: dict[str, Any]) -> None:
        prefix = str(message["prefix"])
        if self._blobs.size(prefix + RESULT) is not None:
            return  # rendered already: a redelivered message renders nothing
        if self._blobs.size(prefix + CANCELLED) is not None:
            return
        try:
            seconds = [self._render(message, prefix, index)
                       for index in range(int(message.get("variants") or 1))]  # fmt: skip
            result: dict[str, Any] = {"variants": len(seconds), "seconds": min(seconds)}
        except ValueError as exc:  # the renderer refused the options: the job fails
            logger.warning("local render failed", extra={"job_id": message.get("job_id"),
                                                         "error": str(exc)})  # fmt: skip
            result = {"error": FAILED}
        data = json.dumps(result).encode()
        self._blobs.put(prefix + RESULT, data, content_type="application/json")

    def _render(self, message: dict[str, Any], prefix: str, index: int) -> float:
        from switchboard.adapters.providers.video_render import render

        seed = message.get("seed")
        rendered = render(
            str(message["prompt"]), seconds=int(message["seconds"]),
            width=int(message["width"]), height=int(message["height"]),
            seed=(int(seed) if seed is not None else 0) + index, workdir=self._workdir,
        )  # fmt: skip
        try:
            data = rendered.path.read_bytes()
            self._blobs.put(local_video_key(prefix, index), data, content_type=VIDEO_TYPE)
            self._blobs.put(local_thumbnail_key(prefix, index), rendered.thumbnail_jpeg,
                            content_type=THUMBNAIL_TYPE)  # fmt: skip
        finally:
            rendered.path.unlink(missing_ok=True)
        return rendered.duration_seconds
