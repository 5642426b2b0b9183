"""VideoProviderRegistry: the video provider of a catalog provider, made by the builder of its
kind (bootstrap.py gives them: local, bedrock, openai_compatible for an HTTP job API). The
providers are light (their clients are the container's, an HTTP one per event loop), so one
is made per call. A kind with no video builder, or a provider that cannot be built (a key
that is not configured), is UpstreamError: the API answers 502 MODEL_UNAVAILABLE before
anything is held."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from switchboard.domain.catalog import ProviderConfig, ProviderKind
from switchboard.errors import UpstreamError
from switchboard.ports import VideoProvider

Builder = Callable[[ProviderConfig], VideoProvider]


class VideoProviderRegistry:
    def __init__(self, builders: Mapping[ProviderKind, Builder]) -> None:
        self._builders = dict(builders)

    def video(self, config: ProviderConfig) -> VideoProvider:
        build = self._builders.get(config.kind)
        if build is None:
            raise UpstreamError(f"The provider '{config.name}' renders no video.")
        return build(config)
