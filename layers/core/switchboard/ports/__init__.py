"""The small interfaces services depend on; adapters implement them, and bootstrap.py
wires the ones in use (DynamoDB repositories, the providers, the secrets). One module per
capability:

    providers    ChatProvider, EmbeddingProvider, Provider, VideoProvider, VideoProviders, UrlGuard,
                 ProviderLookup
    accounts     AccountRepository, KeyRepository, SessionRepository, Secret, AppRepository
    ledger       UsageRepository, RateWindows, Ledger
    prompts      PromptRepository
    queue        QueuedRequestRepository
    files        FileRepository, UploadRepository, BlobWriter, BlobStore
    work         JobQueue, Workflow
    batches      BatchRepository
    videos       VideoJobRepository
    vectors      VectorHit, VectorIndex, DocumentReader, VectorStoreRepository
    traces       TraceStore
    experiments  ExperimentRepository

Every name is re-exported here (`from switchboard.ports import Ledger`), so that a service
names a port the same way wherever it lives. Providers are async (they wait on
upstreams); repositories are plain blocking calls, which services run off the event loop.
Services import these, never an adapter.
"""

from switchboard.ports.accounts import (
    AccountRepository,
    AppRepository,
    KeyRepository,
    Secret,
    SessionRepository,
)
from switchboard.ports.batches import BatchRepository
from switchboard.ports.experiments import ExperimentRepository
from switchboard.ports.files import BlobStore, BlobWriter, FileRepository, UploadRepository
from switchboard.ports.ledger import Ledger, RateWindows, UsageRepository
from switchboard.ports.prompts import PromptRepository
from switchboard.ports.providers import (
    ChatProvider,
    EmbeddingProvider,
    Provider,
    ProviderLookup,
    UrlGuard,
    VideoProvider,
    VideoProviders,
)
from switchboard.ports.queue import QueuedRequestRepository
from switchboard.ports.traces import TraceStore
from switchboard.ports.vectors import DocumentReader, VectorHit, VectorIndex, VectorStoreRepository
from switchboard.ports.videos import VideoJobRepository
from switchboard.ports.work import JobQueue, Workflow

__all__ = [
    "AccountRepository",
    "AppRepository",
    "BatchRepository",
    "BlobStore",
    "BlobWriter",
    "ChatProvider",
    "DocumentReader",
    "EmbeddingProvider",
    "ExperimentRepository",
    "FileRepository",
    "JobQueue",
    "KeyRepository",
    "Ledger",
    "PromptRepository",
    "Provider",
    "ProviderLookup",
    "QueuedRequestRepository",
    "RateWindows",
    "Secret",
    "SessionRepository",
    "TraceStore",
    "UploadRepository",
    "UrlGuard",
    "UsageRepository",
    "VectorHit",
    "VectorIndex",
    "VectorStoreRepository",
    "VideoJobRepository",
    "VideoProvider",
    "VideoProviders",
    "Workflow",
]
