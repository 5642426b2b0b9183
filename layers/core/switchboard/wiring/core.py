"""The container's core: settings, AWS clients, the catalog, accounts, keys, sessions,
rate limits, billing, apps, providers, inference and the request queue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from switchboard.settings import Settings

if TYPE_CHECKING:
    from switchboard.adapters.aws.accounts import DynamoAccountRepository
    from switchboard.adapters.aws.apps import DynamoAppRepository
    from switchboard.adapters.aws.blobs import S3Blobs
    from switchboard.adapters.aws.keys import DynamoKeyRepository
    from switchboard.adapters.aws.ledger import DynamoLedgerRepository
    from switchboard.adapters.aws.limits import DynamoRateWindows
    from switchboard.adapters.aws.queue import DynamoQueuedRequests
    from switchboard.adapters.aws.queues import SqsJobQueue
    from switchboard.adapters.aws.secrets import SecretValue, UpstreamKeys
    from switchboard.adapters.aws.sessions import DynamoSessionRepository
    from switchboard.adapters.aws.traces import DynamoTraceRepository
    from switchboard.adapters.aws.workflows import SfnWorkflow
    from switchboard.adapters.providers.registry import ProviderRegistry
    from switchboard.domain.catalog import Catalog
    from switchboard.domain.limits import RateLimits
    from switchboard.services.accounts import AccountService
    from switchboard.services.apps import AppService
    from switchboard.services.auth import Authenticator
    from switchboard.services.billing import Billing
    from switchboard.services.inference import InferenceService
    from switchboard.services.limits import RateLimiter
    from switchboard.services.queue import QueueService
    from switchboard.services.sessions import SessionService
    from switchboard.services.tracing import Tracing


class CoreParts:
    def __init__(self, settings: Settings | None = None) -> None:
        self._given_settings = settings
        self._lock = threading.RLock()
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
                build = partial(self._create_client, service, region or None)
                self._clients[key] = self._lean(build, region) if service == "dynamodb" else build()
            return self._clients[key]

    def _create_client(self, service: str, region: str | None) -> Any:
        return self._aws_session().create_client(service, region_name=region)

    def _lean(self, build: Callable[[], Any], region: str) -> Any:
        """The lean DynamoDB client over botocore's, which is built when first needed (if
        the lean client can find DynamoDB without it: in the session's region), under the
        lock that keeps botocore's session to one thread at a time. Where the environment
        alone answers (a Lambda container's), botocore's session waits for that client too."""
        from switchboard.adapters.aws.dynamodb_client import LeanDynamoClient
        from switchboard.adapters.aws.environment_session import EnvironmentSession

        if region:
            return LeanDynamoClient(build(), self._aws_session().get_credentials())

        def locked() -> Any:
            with self._lock:
                return build()

        session = EnvironmentSession.found() or self._aws_session()
        return LeanDynamoClient.on_session(session, locked)

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
        billing = Billing(self.ledger_repo, self.limiter, reservation_ttl_seconds=ttl)
        billing.tracing = self.tracing if self.settings.TRACING else None
        return billing

    @cached_property
    def trace_repo(self) -> DynamoTraceRepository:
        from switchboard.adapters.aws.traces import DynamoTraceRepository

        return DynamoTraceRepository(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def tracing(self) -> Tracing:
        """Traces ride on every meter's settlement (services/tracing.py)."""
        from switchboard.services.tracing import Tracing

        settings = self.settings
        return Tracing(
            self.trace_repo,
            (lambda: self.blobs) if settings.DATA_BUCKET else None,  # S3 only when a body is big
            capture=settings.TRACE_CAPTURE.strip().lower() not in ("off", "false", "0"),
            retention_days=settings.TRACE_RETENTION_DAYS,
            inline_bytes=settings.TRACE_INLINE_BYTES,
        )

    @cached_property
    def accounts(self) -> AccountService:
        from switchboard.services.accounts import AccountService

        settings = self.settings
        return AccountService(
            self.account_repo, self.key_repo, self.ledger_repo, settings.API_KEY_PREFIX,
            self.plans, max_keys=settings.MAX_KEYS_PER_USER,
        )  # fmt: skip

    @cached_property
    def apps(self) -> AppService:
        from switchboard.services.apps import AppService

        settings = self.settings
        return AppService(
            self.app_repo, self.catalog, cache_seconds=settings.KEY_CACHE_SECONDS,
            max_apps=settings.MAX_APPS_PER_USER,
        )  # fmt: skip

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
