"""A typed client for Switchboard's own APIs, what the OpenAI SDKs do not cover: kits, the
request queue, batches, videos, prompts (cached), traces and scores, keys and apps.

    from switchboard_client import Switchboard

    with Switchboard() as sb:  # SWITCHBOARD_API_KEY, SWITCHBOARD_BASE_URL
        run = sb.kits.run("text-gen", "Write a haiku")

Modules are private (`_core.py` the request core both clients share, `_calls.py` every
endpoint, `_errors.py` the error tree); everything public is here.
"""

from switchboard_client._async.client import AsyncSwitchboard
from switchboard_client._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    IdempotencyKeyReusedError,
    InsufficientCreditsError,
    InternalServerError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    SwitchboardError,
    UpstreamError,
    UpstreamTimeoutError,
    WaitTimeoutError,
)
from switchboard_client._models import (
    ApiKey,
    App,
    AppConfig,
    AppUsage,
    Batch,
    BatchResults,
    CompiledPrompt,
    Experiment,
    ExperimentRun,
    FileObject,
    Kit,
    KitRun,
    KitRunDelta,
    ModelUsage,
    Page,
    PromptModel,
    QueuedRequest,
    RequestCounts,
    Score,
    Trace,
    UsageEntry,
    UsageTotals,
    VideoJob,
)
from switchboard_client._prompts import Prompt, PromptCache
from switchboard_client._retry import RetryPolicy
from switchboard_client._sync.client import Switchboard
from switchboard_client._version import __version__
from switchboard_client._waiting import PollSchedule

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ApiKey",
    "App",
    "AppConfig",
    "AppUsage",
    "AsyncSwitchboard",
    "AuthenticationError",
    "Batch",
    "BatchResults",
    "CompiledPrompt",
    "ConflictError",
    "Experiment",
    "ExperimentRun",
    "FileObject",
    "IdempotencyKeyReusedError",
    "InsufficientCreditsError",
    "InternalServerError",
    "InvalidRequestError",
    "Kit",
    "KitRun",
    "KitRunDelta",
    "MethodNotAllowedError",
    "ModelUsage",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PollSchedule",
    "Prompt",
    "PromptCache",
    "PromptModel",
    "QueuedRequest",
    "RateLimitError",
    "RequestCounts",
    "RetryPolicy",
    "Score",
    "ServiceUnavailableError",
    "Switchboard",
    "SwitchboardError",
    "Trace",
    "UpstreamError",
    "UpstreamTimeoutError",
    "UsageEntry",
    "UsageTotals",
    "VideoJob",
    "WaitTimeoutError",
    "__version__",
]
