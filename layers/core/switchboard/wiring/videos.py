"""The container's video jobs: their repository, providers (the local renderer, Bedrock,
an HTTP job API), the API's service and the state machine's steps."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.videos import DynamoVideoJobs
    from switchboard.adapters.providers.local_video import LocalRenderer
    from switchboard.adapters.providers.video_registry import VideoProviderRegistry
    from switchboard.adapters.safe_urls import SafeUrls
    from switchboard.domain.catalog import ProviderConfig
    from switchboard.ports import VideoProvider
    from switchboard.services.video_steps import VideoSteps
    from switchboard.services.videos import VideoService


class VideoParts(CoreParts):
    @cached_property
    def video_repo(self) -> DynamoVideoJobs:
        from switchboard.adapters.aws.videos import DynamoVideoJobs

        return DynamoVideoJobs(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def safe_urls(self) -> SafeUrls:
        from switchboard.adapters.safe_urls import SafeUrls

        return SafeUrls()

    @cached_property
    def video_providers(self) -> VideoProviderRegistry:
        """The video providers by kind: `local` renders in VideoRenderFunction, `bedrock`
        is Bedrock's async invoke, `openai_compatible` an HTTP job API (OpenRouter's)."""
        from switchboard.adapters.providers.video_registry import VideoProviderRegistry
        from switchboard.domain.catalog import ProviderKind

        return VideoProviderRegistry({
            ProviderKind.LOCAL: self._local_video,
            ProviderKind.BEDROCK: self._bedrock_video,
            ProviderKind.OPENAI_COMPATIBLE: self._http_video,
        })  # fmt: skip

    def _local_video(self, _: ProviderConfig) -> VideoProvider:
        from switchboard.adapters.providers.local_video import LocalVideoProvider

        return LocalVideoProvider(self.job_queue(self.settings.VIDEO_RENDER_QUEUE_URL), self.blobs)

    def _bedrock_video(self, config: ProviderConfig) -> VideoProvider:
        from switchboard.adapters.providers.bedrock_video import BedrockVideoProvider

        runtime = self.client("bedrock-runtime", config.region)
        return BedrockVideoProvider(runtime, self.client("s3"), self.settings.DATA_BUCKET)

    def _http_video(self, config: ProviderConfig) -> VideoProvider:
        from switchboard.adapters.providers.http_video import HttpVideoProvider
        from switchboard.errors import UpstreamError

        key = self.upstream_keys.get(config.api_key)
        if config.api_key and key is None:
            raise UpstreamError(f"No key is configured for '{config.name}'.")
        client = self.providers.http_client()
        return HttpVideoProvider(base_url=config.base_url, api_key=key, client=client,
                                 blobs=self.blobs, name=config.name)  # fmt: skip

    @cached_property
    def videos(self) -> VideoService:
        from switchboard.services.videos import VideoService

        settings = self.settings
        return VideoService(
            self.video_repo,
            self.blobs,
            self.workflow(settings.VIDEO_STATE_MACHINE_ARN),
            self.catalog,
            self.video_providers,
            self.safe_urls,
            self.billing,
            poll_seconds=settings.VIDEO_POLL_SECONDS,
            retention_days=self.video_retention_days,
        )

    @cached_property
    def video_steps(self) -> VideoSteps:
        from switchboard.services.video_steps import VideoSteps

        settings = self.settings
        return VideoSteps(
            self.video_repo,
            self.video_providers,
            self.catalog,
            self.billing,
            self.workflow(settings.VIDEO_STATE_MACHINE_ARN),
            abandon_seconds=settings.VIDEO_ABANDON_SECONDS,
            retention_days=self.video_retention_days,
        )

    @cached_property
    def video_retention_days(self) -> int:
        """Videos live under the bucket's two rules: the shorter one removes them."""
        return min(self.settings.VIDEO_RETENTION_DAYS, self.settings.DATA_RETENTION_DAYS)

    @cached_property
    def local_renderer(self) -> LocalRenderer:
        from switchboard.adapters.providers.local_video import LocalRenderer

        return LocalRenderer(self.blobs)
