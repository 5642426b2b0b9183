"""What a video provider is asked to render and what it reports back: the values that cross
the video provider protocol (ports.VideoProvider), whatever the provider (the local
renderer, Bedrock's async invoke, an HTTP job API).

    submit(render)                  -> the provider's job id (the same id for the same
                                       render.job_id: a retried step never renders twice)
    status(render, provider_job_id) -> RenderProgress: running, done (how many variants,
                                       how many seconds they last) or failed (a safe message)
    fetch(render, provider_job_id, index, key) -> RenderedFile: variant `index` copied into
                                       our bucket at `key` (its thumbnail beside it), never
                                       passing through an API response
    cancel(render, provider_job_id) -> whether the provider stopped it

A provider's messages are untrusted, like its usage: what reaches a client is a safe
message chosen here, never upstream text (that is logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

VIDEO_TYPE = "video/mp4"
THUMBNAIL_TYPE = "image/jpeg"


@dataclass(frozen=True, slots=True)
class VideoRender:
    """One job's render, as the provider is asked for it."""

    job_id: str  # ours; providers use it as their idempotency token
    upstream_model: str
    prompt: str
    seconds: int
    width: int
    height: int
    resolution: str  # "480p", "720p", "1080p": the shorter side
    aspect_ratio: str  # "16:9", "9:16", "1:1"
    variants: int = 1
    seed: int | None = None
    generate_audio: bool = False
    input_images: tuple[str, ...] = ()  # https URLs, already checked against SSRF rules
    output_prefix: str = ""  # where in our bucket a provider that writes there may write


class RenderState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RenderProgress:
    state: RenderState
    progress: int = 0  # percent, 0-100, as well as the provider can tell
    variants: int = 0  # when done: how many files there are to fetch
    seconds: float | None = None  # when done: what the provider produced (billed by it)
    error: str | None = None  # when failed: a safe message for the client


@dataclass(frozen=True, slots=True)
class RenderedFile:
    key: str  # the MP4 in our bucket
    bytes: int
    thumbnail_key: str | None = None
    seconds: float | None = None
