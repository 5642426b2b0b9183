"""The one place that reads settings and builds clients: lazily, once per container.

Nothing here runs at import time. `container()` returns the process-wide Container; tests
and the local platform call `reset_container()` after changing the environment.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from switchboard.settings import Settings

if TYPE_CHECKING:
    from switchboard.adapters.aws.accounts import DynamoAccountRepository
    from switchboard.adapters.aws.apps import DynamoAppRepository
    from switchboard.adapters.aws.batches import DynamoBatches
    from switchboard.adapters.aws.blobs import S3Blobs
    from switchboard.adapters.aws.files import DynamoFiles
    from switchboard.adapters.aws.keys import DynamoKeyRepository
    from switchboard.adapters.aws.ledger import DynamoLedgerRepository
    from switchboard.adapters.aws.limits import DynamoRateWindows
    from switchboard.adapters.aws.queue import DynamoQueuedRequests
    from switchboard.adapters.aws.queues import SqsJobQueue
    from switchboard.adapters.aws.secrets import SecretValue, UpstreamKeys
    from switchboard.adapters.aws.sessions import DynamoSessionRepository
    from switchboard.adapters.aws.uploads import DynamoUploads
    from switchboard.adapters.aws.videos import DynamoVideoJobs
    from switchboard.adapters.aws.workflows import SfnWorkflow
    from switchboard.adapters.providers.local_video import LocalRenderer
    from switchboard.adapters.providers.registry import ProviderRegistry
    from switchboard.adapters.providers.video_registry import VideoProviderRegistry
    from switchboard.adapters.safe_urls import SafeUrls
    from switchboard.domain.catalog import Catalog, ProviderConfig
    from switchboard.domain.limits import RateLimits
    from switchboard.ports import VideoProvider
    from switchboard.services.accounts import AccountService
    from switchboard.services.apps import AppService
    from switchboard.services.auth import Authenticator
    from switchboard.services.batch_lines import BatchLines
    from switchboard.services.batch_steps import BatchSteps
    from switchboard.services.batches import BatchService
    from switchboard.services.billing import Billing
    from switchboard.services.files import FileService
    from switchboard.services.inference import InferenceService
    from switchboard.services.limits import RateLimiter
    from switchboard.services.queue import QueueService
    from switchboard.services.sessions import SessionService
    from switchboard.services.uploads import UploadService
    from switchboard.services.video_steps import VideoSteps
    from switchboard.services.videos import VideoService


class Container:
    def __init__(self, settings: Settings | None = None) -> None:
        self._given_settings = settings
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._session: Any = None

    @cached_property
    def settings(self) -> Settings:
        return self._given_settings or Settings.from_env()

    def client(self, service: str, region: str = "") -> Any:
        """One AWS client per service and region (clients are thread-safe), made by botocore,
        which boto3's low-level clients are (boto3's import, and s3transfer's, stay off the
        cold start); for DynamoDB, the lean client over it (adapters/aws/dynamodb_client.py)."""
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                session = self._aws_session()
                client: Any = session.create_client(service, region_name=region or None)
                if service == "dynamodb":
                    from switchboard.adapters.aws.dynamodb_client import LeanDynamoClient

                    client = LeanDynamoClient(client, session.get_credentials())
                self._clients[key] = client
            return self._clients[key]

    def _aws_session(self) -> Any:
        """botocore's session: the environment's credentials, region and endpoints, as boto3's
        default session would read them."""
        if self._session is None:
            import botocore.session

            self._session = botocore.session.get_session()
        return self._session

    @cached_property
    def catalog(self) -> Catalog:
        from switchboard.domain.catalog import load_catalog

        return load_catalog(self.settings.MODEL_CATALOG or None)

    @cached_property
    def key_repo(self) -> DynamoKeyRepository:
        from switchboard.adapters.aws.keys import DynamoKeyRepository

        return DynamoKeyRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def account_repo(self) -> DynamoAccountRepository:
        from switchboard.adapters.aws.accounts import DynamoAccountRepository

        return DynamoAccountRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def ledger_repo(self) -> DynamoLedgerRepository:
        from switchboard.adapters.aws.ledger import DynamoLedgerRepository

        return DynamoLedgerRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def session_repo(self) -> DynamoSessionRepository:
        from switchboard.adapters.aws.sessions import DynamoSessionRepository

        return DynamoSessionRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def app_repo(self) -> DynamoAppRepository:
        from switchboard.adapters.aws.apps import DynamoAppRepository

        return DynamoAppRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def session_secret(self) -> SecretValue:
        from switchboard.adapters.aws.secrets import SecretValue

        return SecretValue(self.settings.SESSION_SECRET, lambda: self.client("secretsmanager"))

    @cached_property
    def plans(self) -> dict[str, RateLimits]:
        from switchboard.domain.limits import load_plans

        return load_plans(self.settings.PLAN_LIMITS)

    @cached_property
    def sessions(self) -> SessionService:
        from switchboard.services.sessions import SessionService

        return SessionService(
            self.account_repo,
            self.session_repo,
            self.session_secret,
            ttl_seconds=self.settings.SESSION_TTL_SECONDS,
            cache_seconds=self.settings.KEY_CACHE_SECONDS,
        )

    @cached_property
    def authenticator(self) -> Authenticator:
        from switchboard.services.auth import Authenticator

        return Authenticator(
            self.key_repo,
            cache_seconds=self.settings.KEY_CACHE_SECONDS,
            sessions=lambda: self.sessions,  # PyJWT and its crypto only when a cookie comes
        )

    @cached_property
    def window_repo(self) -> DynamoRateWindows:
        from switchboard.adapters.aws.limits import DynamoRateWindows

        return DynamoRateWindows(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def limiter(self) -> RateLimiter:
        from switchboard.services.limits import RateLimiter

        return RateLimiter(self.window_repo, self.plans)

    @cached_property
    def billing(self) -> Billing:
        from switchboard.services.billing import Billing

        ttl = self.settings.RESERVATION_TTL_SECONDS
        return Billing(self.ledger_repo, self.limiter, reservation_ttl_seconds=ttl)

    @cached_property
    def accounts(self) -> AccountService:
        from switchboard.services.accounts import AccountService

        settings = self.settings
        return AccountService(
            self.account_repo, self.key_repo, self.ledger_repo, settings.API_KEY_PREFIX, self.plans
        )

    @cached_property
    def apps(self) -> AppService:
        from switchboard.services.apps import AppService

        return AppService(
            self.app_repo, self.catalog, cache_seconds=self.settings.KEY_CACHE_SECONDS
        )

    @cached_property
    def upstream_keys(self) -> UpstreamKeys:
        from switchboard.adapters.aws.secrets import UpstreamKeys

        secret = self.settings.UPSTREAM_KEYS_SECRET
        return UpstreamKeys(secret, lambda: self.client("secretsmanager"))

    @cached_property
    def providers(self) -> ProviderRegistry:
        from switchboard.adapters.providers.registry import ProviderRegistry

        settings = self.settings
        return ProviderRegistry(
            self.upstream_keys,
            timeout=settings.UPSTREAM_TIMEOUT_SECONDS,
            connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT_SECONDS,
        )

    @cached_property
    def queued_request_repo(self) -> DynamoQueuedRequests:
        from switchboard.adapters.aws.queue import DynamoQueuedRequests

        return DynamoQueuedRequests(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def queue(self) -> QueueService:
        from switchboard.services.queue import QueueService

        settings = self.settings
        return QueueService(
            self.queued_request_repo,
            self.job_queue(settings.AI_REQUESTS_QUEUE_URL),
            self.blobs,
            self.catalog,
            self.inference,
            self.billing,
            ttl_seconds=settings.ASYNC_REQUEST_TTL_SECONDS,
        )

    @cached_property
    def blobs(self) -> S3Blobs:
        from switchboard.adapters.aws.blobs import S3Blobs

        return S3Blobs(self.client("s3"), self.settings.DATA_BUCKET)

    @cached_property
    def file_repo(self) -> DynamoFiles:
        from switchboard.adapters.aws.files import DynamoFiles

        return DynamoFiles(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def batch_repo(self) -> DynamoBatches:
        from switchboard.adapters.aws.batches import DynamoBatches

        return DynamoBatches(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def files(self) -> FileService:
        from switchboard.services.files import FileService

        retention = self.settings.DATA_RETENTION_DAYS * 86_400
        return FileService(self.file_repo, self.blobs, retention_seconds=retention)

    @cached_property
    def batches(self) -> BatchService:
        from switchboard.services.batches import BatchService

        settings = self.settings
        return BatchService(
            self.batch_repo,
            self.files,
            self.workflow(settings.BATCH_STATE_MACHINE_ARN),
            self.limiter,
            self.account_repo,
            completion_window_seconds=settings.BATCH_COMPLETION_WINDOW_SECONDS,
            poll_seconds=settings.BATCH_POLL_SECONDS,
        )

    @cached_property
    def upload_repo(self) -> DynamoUploads:
        from switchboard.adapters.aws.uploads import DynamoUploads

        return DynamoUploads(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def uploads(self) -> UploadService:
        from switchboard.services.uploads import UploadService

        return UploadService(self.upload_repo, self.blobs, self.account_repo, self.batches)

    @cached_property
    def batch_steps(self) -> BatchSteps:
        from switchboard.services.batch_steps import BatchSteps

        settings = self.settings
        return BatchSteps(
            self.batch_repo,
            self.files,
            self.blobs,
            self.job_queue(settings.BATCH_LINES_QUEUE_URL),
            self.workflow(settings.BATCH_STATE_MACHINE_ARN),
        )

    @cached_property
    def batch_lines(self) -> BatchLines:
        from switchboard.services.batch_lines import BatchLines

        return BatchLines(
            self.batch_repo,
            self.blobs,
            self.job_queue(self.settings.BATCH_LINES_QUEUE_URL),
            self.catalog,
            self.inference,
            self.billing,
        )

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

    def job_queue(self, url: str) -> SqsJobQueue:
        """The job queue at `url` (one of the *_QUEUE_URL settings)."""
        from switchboard.adapters.aws.queues import SqsJobQueue

        return SqsJobQueue(self.client("sqs"), url)

    def workflow(self, state_machine_arn: str) -> SfnWorkflow:
        from switchboard.adapters.aws.workflows import SfnWorkflow

        return SfnWorkflow(self.client("stepfunctions"), state_machine_arn)

    @cached_property
    def inference(self) -> InferenceService:
        from switchboard.services.inference import InferenceService

        return InferenceService(self.catalog, self.providers)


_container: Container | None = None
_container_lock = threading.Lock()


def container() -> Container:
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container()
    return _container


def reset_container(settings: Settings | None = None) -> Container:
    """Start over (tests, the local platform): the next call builds everything again."""
    global _container
    with _container_lock:
        _container = Container(settings)
    return _container
