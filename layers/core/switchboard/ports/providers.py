"""Upstream models: chat and embeddings, video, and the guard on fetched URLs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from switchboard.domain.catalog import ModelEntry, ProviderConfig
    from switchboard.domain.completions import Completion, CompletionChunk, Embeddings
    from switchboard.domain.requests import ChatCompletionRequest
    from switchboard.domain.video_renders import RenderedFile, RenderProgress, VideoRender


class ChatProvider(Protocol):
    async def complete(self, request: ChatCompletionRequest, model: ModelEntry) -> Completion:
        """One whole completion. Raises UpstreamError or UpstreamTimeoutError on failure."""
        ...

    def stream(
        self, request: ChatCompletionRequest, model: ModelEntry
    ) -> AsyncGenerator[CompletionChunk, None]:
        """Chunks as the upstream produces them, never buffered. The last chunk carries the
        usage whenever the upstream reports it, whether or not the client asked for it."""
        ...


class EmbeddingProvider(Protocol):
    async def embed(
        self, texts: list[str], model: ModelEntry, dimensions: int | None
    ) -> Embeddings:
        """One vector per text, in order."""
        ...


class Provider(ChatProvider, EmbeddingProvider, Protocol):
    async def aclose(self) -> None: ...


class VideoProvider(Protocol):
    """A job-based video upstream (domain/video_renders.py says what crosses this line).
    Every method raises UpstreamError or UpstreamTimeoutError on failure, with a safe
    message; upstream text is logged, never raised."""

    async def submit(self, render: VideoRender) -> str:
        """Start the render; the provider's job id. Idempotent per render.job_id."""
        ...

    async def status(self, render: VideoRender, provider_job_id: str) -> RenderProgress: ...

    async def fetch(
        self, render: VideoRender, provider_job_id: str, index: int, key: str
    ) -> RenderedFile:
        """Copy variant `index` into our bucket at `key` (its thumbnail, if any, beside it)."""
        ...

    async def cancel(self, render: VideoRender, provider_job_id: str) -> bool:
        """Stop the render if the provider allows it; whether it did."""
        ...


class VideoProviders(Protocol):
    def video(self, config: ProviderConfig) -> VideoProvider:
        """The video provider serving a catalog provider."""
        ...


class UrlGuard(Protocol):
    """URLs clients give us to fetch (adapters/safe_urls.py): https, public addresses only."""

    def check(self, url: str) -> str:
        """The public address it would be fetched from; InvalidRequestError if refused."""
        ...


class ProviderLookup(Protocol):
    def get(self, config: ProviderConfig) -> Provider:
        """The provider instance serving a catalog provider."""
        ...
