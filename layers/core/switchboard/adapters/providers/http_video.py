"""A job-based HTTP video upstream in the shape of OpenRouter's video API, as a VideoProvider.

    submit   POST {base_url}/videos {model, prompt, duration, resolution, aspect_ratio,
             generate_audio?, seed?, frame_images? | input_references?} -> 202 {id,
             polling_url, status: "pending"}; sent with `Idempotency-Key: <job id>` (an
             upstream that honours it starts one render however often a step is retried)
    status   GET {base_url}/videos/{id} -> {status: pending | in_progress | completed |
             failed | cancelled | expired, progress?, error?, unsigned_urls?, duration?}
    fetch    GET {base_url}/videos/{id}/content?index=N, streamed into our bucket by a
             multipart upload a part at a time (never the whole video in memory); a body
             that is not video/* or is larger than `max_bytes` is refused
    cancel   POST {base_url}/videos/{id}/cancel; 400, 404, 405 and 409 mean the upstream
             cannot (OpenRouter documents no cancel: it answers 404), so False

Every URL is built from base_url and the job id: the polling_url and unsigned_urls the
upstream sends are never followed. Failures become UpstreamError (502) or
UpstreamTimeoutError (504) with fixed messages; upstream text is logged, truncated.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import anyio.to_thread
import httpx

from switchboard.adapters.providers.http_errors import translated_http_errors
from switchboard.adapters.providers.video_failures import CANCELLED, EXPIRED, failed
from switchboard.domain.video_renders import (
    VIDEO_TYPE,
    RenderedFile,
    RenderProgress,
    RenderState,
    VideoRender,
)
from switchboard.errors import UpstreamError

if TYPE_CHECKING:
    from switchboard.ports import BlobStore, BlobWriter

logger = logging.getLogger("switchboard.providers")

MAX_VIDEO_BYTES = 2 * 1024**3
HANDOFF_BYTES = 8 * 1024 * 1024  # bytes gathered before a (blocking) write to the bucket
_RUNNING = frozenset({"pending", "queued", "in_progress", "processing"})
_CANNOT_CANCEL = frozenset({400, 404, 405, 409})
_LOGGED_CHARS = 2000
_INVALID = "The upstream provider returned an invalid response."
_NOT_VIDEO = "The upstream provider's content is not a video."
_TOO_LARGE = "The upstream provider's video is larger than the platform accepts."


class HttpVideoProvider:
    """`client` is shared and belongs to its creator, who sets its timeouts and closes it;
    `blobs` is our bucket. `name` only labels log lines."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        client: httpx.AsyncClient,
        blobs: BlobStore,
        name: str = "http-video",
        max_bytes: int = MAX_VIDEO_BYTES,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client = client
        self._blobs = blobs
        self._name = name
        self._max_bytes = max_bytes
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def submit(self, render: VideoRender) -> str:
        headers = {**self._headers, "Idempotency-Key": render.job_id}
        data = await self._json("POST", "/videos", json=video_request(render), headers=headers)
        job_id = data.get("id")
        if not isinstance(job_id, str) or not job_id:
            raise self._invalid(ValueError(f"no job id in {data!r}"))
        return job_id

    async def status(self, render: VideoRender, provider_job_id: str) -> RenderProgress:
        data = await self._json("GET", f"/videos/{_segment(provider_job_id)}")
        state = data.get("status")
        if state in _RUNNING:
            return RenderProgress(RenderState.RUNNING, _percent(data.get("progress")))
        if state == "completed":
            variants = _variants(data.get("unsigned_urls"), render.variants)
            seconds = _seconds(data.get("duration", data.get("seconds")), render.seconds)
            return RenderProgress(RenderState.DONE, 100, variants=variants, seconds=seconds)
        if state in ("failed", "cancelled", "expired"):
            text = str(data.get("error") or "")[:_LOGGED_CHARS]
            logger.warning("upstream %s job %s %s: %s", self._name, provider_job_id, state, text)
            message = {"cancelled": CANCELLED, "expired": EXPIRED}.get(state)
            return failed(text, message=message)
        raise self._invalid(ValueError(f"unknown status {state!r}"))

    async def fetch(
        self, render: VideoRender, provider_job_id: str, index: int, key: str
    ) -> RenderedFile:
        url = f"{self._base_url}/videos/{_segment(provider_job_id)}/content"
        async with (
            translated_http_errors(self._name),
            self._client.stream(
                "GET", url, params={"index": index}, headers=self._headers
            ) as response,
        ):
            await self._check(response)
            self._check_video(response)
            size = await self._store(response, key)
        return RenderedFile(key=key, bytes=size)

    async def cancel(self, render: VideoRender, provider_job_id: str) -> bool:
        url = f"{self._base_url}/videos/{_segment(provider_job_id)}/cancel"
        async with translated_http_errors(self._name):
            response = await self._client.post(url, headers=self._headers)
        if response.status_code in _CANNOT_CANCEL:
            logger.info(
                "upstream %s cannot cancel %s (HTTP %d): %.500s",
                self._name, provider_job_id, response.status_code, response.text,
            )  # fmt: skip
            return False
        await self._check(response)
        return True

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = kwargs.pop("headers", self._headers)
        async with translated_http_errors(self._name):
            response = await self._client.request(
                method, self._base_url + path, headers=headers, **kwargs
            )
            await self._check(response)
        try:
            data = response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise self._invalid(exc) from exc
        if not isinstance(data, dict):
            raise self._invalid(TypeError("the body is not a JSON object"))
        return data

    async def _store(self, response: httpx.Response, key: str) -> int:
        """The body into the bucket at `key`, HANDOFF_BYTES at a time; its size. A body
        that breaks off or grows too large leaves no object behind."""
        writer = self._blobs.writer(key, content_type=VIDEO_TYPE)
        pending, size = bytearray(), 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_bytes:
                    raise self._too_large(f"over {self._max_bytes} bytes streamed")
                pending += chunk
                if len(pending) >= HANDOFF_BYTES:
                    part, pending = bytes(pending), bytearray()
                    await anyio.to_thread.run_sync(writer.write, part)
            if size == 0:
                raise self._invalid(ValueError("an empty video"))
            await anyio.to_thread.run_sync(writer.write, bytes(pending))
            await anyio.to_thread.run_sync(writer.close)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_abort, writer, key)
            raise
        return size

    def _check_video(self, response: httpx.Response) -> None:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not kind.startswith("video/"):
            logger.warning("upstream %s sent content of type %r", self._name, kind)
            raise UpstreamError(_NOT_VIDEO)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            raise self._too_large(f"Content-Length {length}")

    async def _check(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        await response.aread()
        status = response.status_code
        logger.warning(
            "upstream %s answered HTTP %d: %s", self._name, status, response.text[:_LOGGED_CHARS]
        )
        if status in (400, 422):
            raise UpstreamError("The upstream provider refused this render's options.")
        if status == 429:
            raise UpstreamError("The upstream provider is busy; try again later.")
        raise UpstreamError(f"The upstream provider returned an error (HTTP {status}).")

    def _invalid(self, exc: Exception) -> UpstreamError:
        logger.warning("upstream %s sent an invalid response: %.2000r", self._name, exc)
        return UpstreamError(_INVALID)

    def _too_large(self, detail: str) -> UpstreamError:
        logger.warning("upstream %s sent a video too large: %s", self._name, detail)
        return UpstreamError(_TOO_LARGE)


def video_request(render: VideoRender) -> dict[str, Any]:
    """The submitted body. One input image is the first frame (image to video, as OpenAI's
    input_reference is); several are references."""
    body: dict[str, Any] = {
        "model": render.upstream_model,
        "prompt": render.prompt,
        "duration": render.seconds,
        "resolution": render.resolution,
        "aspect_ratio": render.aspect_ratio,
    }
    if render.generate_audio:
        body["generate_audio"] = True
    if render.seed is not None:
        body["seed"] = render.seed
    images = [{"type": "image_url", "image_url": {"url": url}} for url in render.input_images]
    if len(images) == 1:
        body["frame_images"] = [{**images[0], "frame_type": "first_frame"}]
    elif images:
        body["input_references"] = images
    return body


def _segment(provider_job_id: str) -> str:
    return quote(provider_job_id, safe="")


def _percent(value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
        return int(value)
    return 0


def _variants(urls: Any, requested: int) -> int:
    """As many as the upstream lists, never more than were asked for (one if it lists none)."""
    count = len(urls) if isinstance(urls, list) and urls else 1
    return max(1, min(count, requested))


def _seconds(value: Any, requested: int) -> float:
    """The upstream's duration if it is a sane number no longer than asked; else the asked."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= requested:
        return float(value)
    return float(requested)


def _abort(writer: BlobWriter, key: str) -> None:
    try:
        writer.abort()
    except Exception:  # the original failure matters more; S3's lifecycle drops the parts
        logger.exception("could not abort the upload of %s", key)
