"""The small interfaces services depend on; adapters implement them.

Providers are async (they wait on upstreams); repositories are plain boto3 calls, which
services run off the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: importing the request models costs a cold start ~50 ms
    from switchboard.domain.catalog import ModelEntry, ProviderConfig
    from switchboard.domain.completions import Completion, CompletionChunk, Embeddings
    from switchboard.domain.keys import ApiKey
    from switchboard.domain.requests import ChatCompletionRequest


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


class ProviderLookup(Protocol):
    def get(self, config: ProviderConfig) -> Provider:
        """The provider instance serving a catalog provider."""
        ...


class KeyRepository(Protocol):
    def get_by_hash(self, key_hash: str) -> ApiKey | None: ...

    def put(self, key: ApiKey) -> None: ...
