"""The small interfaces services depend on; adapters implement them, and bootstrap.py
wires the ones in use (DynamoDB repositories, the providers, the secrets).

    providers   ChatProvider, EmbeddingProvider, Provider, ProviderLookup
    storage     AccountRepository, KeyRepository, SessionRepository, AppRepository,
                Ledger, RateWindows, Secret, QueuedRequestRepository, FileRepository,
                BatchRepository, VideoJobRepository, VectorStoreRepository, TraceStore,
                ExperimentRepository
    retrieval   VectorIndex, DocumentReader
    videos      VideoProvider, VideoProviders, UrlGuard
    async work  JobQueue, BlobStore, Workflow (SQS, S3, Step Functions)

Providers are async (they wait on upstreams); repositories are plain blocking calls, which
services run off the event loop. Services import these, never an adapter.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:  # annotations only: importing the request models costs a cold start ~50 ms
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from datetime import date, datetime

    from switchboard.domain.accounts import LedgerEntry, User, UserChanges
    from switchboard.domain.apps import App, AppConfig, UsageRow
    from switchboard.domain.batches import Batch, LineState, Status, StoredLine
    from switchboard.domain.billing import Admission, Charge, Reservation
    from switchboard.domain.catalog import ModelEntry, ProviderConfig
    from switchboard.domain.completions import Completion, CompletionChunk, Embeddings
    from switchboard.domain.experiments import Experiment, Score, ScoreCounter
    from switchboard.domain.files import StoredFile
    from switchboard.domain.keys import ApiKey
    from switchboard.domain.limits import WindowCounts, WindowLimits, WindowWrite
    from switchboard.domain.prompts import Owner, Prompt, PromptVersion
    from switchboard.domain.queue import IdempotencyKey, QueuedRequest
    from switchboard.domain.requests import ChatCompletionRequest
    from switchboard.domain.runs import Run
    from switchboard.domain.trace_stats import Counters, Dimensions
    from switchboard.domain.traces import Span, Trace, TraceFilter, TracePage
    from switchboard.domain.uploads import Upload, UploadStatus
    from switchboard.domain.usage import EntryPage, UserUsageRow
    from switchboard.domain.vector_stores import (
        FileBatch,
        FileError,
        FileStatus,
        StoreFile,
        VectorStore,
    )
    from switchboard.domain.video_renders import RenderedFile, RenderProgress, VideoRender
    from switchboard.domain.videos import JobStatus, VideoJob


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


class AccountRepository(Protocol):
    """Users, one per email address, each with an account for their balance."""

    def create(self, user: User, opening_balance_micro_usd: int, password_hash: str | None) -> None:
        """The user, their email claim and their opening balance, all or nothing;
        ConflictError (email_taken) when the email has a user already."""
        ...

    def get(self, user_id: str) -> User | None: ...

    def find_by_email(self, email: str) -> tuple[User, str | None] | None:
        """The user with that email, and their password hash (None: no password)."""
        ...

    def update(self, user_id: str, changes: UserChanges, now: datetime) -> User:
        """Apply an admin's changes (one more revision); NotFoundError if absent."""
        ...

    def list_users(self, *, after: str | None, limit: int) -> tuple[list[User], str | None]:
        """A page of users and the id to go on after (None: the last page)."""
        ...


class KeyRepository(Protocol):
    """API keys, found by the hash of their secret."""

    def get_by_hash(self, key_hash: str) -> ApiKey | None: ...

    def put(self, key: ApiKey) -> None: ...

    def list_for_user(self, user_id: str) -> list[ApiKey]:
        """A user's keys, oldest first, revoked ones included."""
        ...

    def revoke(self, key_hash: str, when: datetime) -> None: ...

    def create(self, key: ApiKey, owner: User, bound: int) -> None:
        """Store a key counted on its owner (LimitReached, UserDisabled, UserChanged)."""
        ...

    def revoke_counted(self, key_hash: str, user_id: str, when: datetime) -> None: ...

    def copy_owner(self, key_hash: str, owner: User) -> None: ...

    def page_for_user(
        self, user_id: str, *, after: str | None, limit: int, now: datetime
    ) -> tuple[list[ApiKey], str | None]: ...


class SessionRepository(Protocol):
    """Logged-out sessions, until their tokens expire."""

    def revoke(self, jti: str, expires_at: int) -> None: ...

    def is_revoked(self, jti: str) -> bool: ...

    def check(self, jti: str, user_id: str) -> tuple[bool, User | None]:
        """Whether the session is revoked, and its user as stored now: one read."""
        ...


class Secret(Protocol):
    """A secret value, fetched once when first needed."""

    def get(self) -> str: ...


class AppRepository(Protocol):
    """Apps, their config, and the usage counters settlement adds to."""

    def create(self, app: App) -> None: ...

    def get(self, app_id: str) -> App | None: ...

    def list_for_owner(self, owner_id: str) -> list[App]: ...

    def put_config(self, app_id: str, config: AppConfig) -> None: ...

    def usage(self, app_id: str, start: date, end: date) -> list[UsageRow]: ...

    def create_counted(self, app: App, bound: int) -> None:
        """Store an app counted on its owner (LimitReached, UserDisabled)."""
        ...

    def rename(self, app_id: str, name: str) -> None: ...

    def delete(self, app: App, when: datetime) -> None: ...

    def page_for_owner(
        self, owner_id: str, *, after: str | None, limit: int
    ) -> tuple[list[App], str | None]: ...


class UsageRepository(Protocol):
    """A user's own ledger entries, a page at a time, and their usage counters."""

    def entries(self, user_id: str, *, after: str | None, limit: int) -> EntryPage: ...

    def totals(self, user_id: str, start: date, end: date) -> list[UserUsageRow]: ...


class PromptRepository(Protocol):
    """Prompts, their immutable versions and their tags, per owner (a user or an app)."""

    def create(self, prompt: Prompt) -> None: ...

    def get(self, owner: Owner, slug: str) -> Prompt | None: ...

    def list_prompts(
        self, owner: Owner, *, after: str | None, limit: int
    ) -> tuple[list[Prompt], bool]:
        """A page in slug order after the slug `after`, and whether more follow."""
        ...

    def add_version(self, prompt: Prompt, version: PromptVersion, tag: str | None) -> None:
        """ConflictError unless the prompt's latest version is still prompt.latest_version."""
        ...

    def get_version(self, owner: Owner, slug: str, number: int) -> PromptVersion | None: ...

    def list_versions(
        self, owner: Owner, slug: str, *, after: int | None, limit: int
    ) -> tuple[list[PromptVersion], bool]:
        """A page, newest first, of versions below the number `after`; whether more follow."""
        ...

    def set_tag(self, owner: Owner, slug: str, tag: str, number: int) -> None: ...


class RateWindows(Protocol):
    """Per-subject request and token counters in fixed one-minute windows."""

    def count_user(self, user_id: str, window: str, limits: WindowLimits) -> WindowWrite:
        """Count one request in the user's window if it has room; one atomic write."""
        ...

    def count_subject(
        self, subject: str, window: str, window_end: int, limits: WindowLimits
    ) -> WindowWrite:
        """The same for a subject with no account (`login:<email>`)."""
        ...

    def add_tokens(self, user_id: str, window: str, tokens: int) -> WindowCounts | None:
        """Add tokens while the window is `window`; None once another has begun."""
        ...


class Ledger(Protocol):
    """Balances, their append-only ledger, and credit holds."""

    def admit(self, r: Reservation, limits: WindowLimits | None) -> Admission:
        """Hold `r` and, with `limits`, count the request in its caller's window, in one
        atomic write; what the refusing condition saw, when it is refused."""
        ...

    def settle(
        self, r: Reservation, charge: Charge, now: datetime, also: Sequence[Any] = ()
    ) -> bool:
        """Bill a charge and return the rest of the hold; False if already closed. `also`:
        writes of other repositories of the same store (a job's answer, a batch's counters),
        made in the same all-or-nothing write."""
        ...

    def release(self, r: Reservation, now: datetime, reason: str, also: Sequence[Any] = ()) -> bool:
        """Return the whole hold (with `also`, as settle); False if already closed."""
        ...

    def credit(self, user_id: str, amount: int, *, kind: str, reason: str, now: datetime) -> None:
        """A top-up or an adjustment; BalanceTooLow if it would go below zero."""
        ...

    def balance(self, user_id: str) -> int: ...

    def statement(self, user_id: str) -> tuple[int, int, list[LedgerEntry]]:
        """The balance, its entry count, and the entries that should sum to it."""
        ...

    def user_ids(self) -> Iterator[str]: ...

    def accounts_due(self, now: int, limit: int = 100) -> list[str]:
        """Users whose accounts may hold a hold older than its release time."""
        ...

    def holds(self, user_id: str) -> list[Reservation]: ...

    def retrack(self, user_id: str, holds: list[Reservation]) -> None:
        """Point the sweeper at the earliest of the holds still open (or at none)."""
        ...


class QueuedRequestRepository(Protocol):
    """Queued requests (/v1/ai) and their idempotency keys."""

    def get(self, request_id: str) -> QueuedRequest | None: ...

    def page_for_user(
        self, user_id: str, *, after: str | None, limit: int, keep: Callable[[QueuedRequest], bool]
    ) -> tuple[list[QueuedRequest], str | None]: ...

    def idempotent(self, key: IdempotencyKey) -> tuple[str, str] | None:
        """(body hash, request id) of the submission a key was first used for."""
        ...

    def create(self, request: QueuedRequest, key: IdempotencyKey | None, expires_at: int) -> None:
        """Store a request and its key; DuplicateSubmission if the key was taken meanwhile."""
        ...

    def completed(
        self,
        request_id: str,
        *,
        response: str | None,
        response_key: str | None,
        usage: dict[str, Any],
        now: datetime,
    ) -> Any:
        """The write that stores an answer, for a settlement's transaction (Ledger.settle)."""
        ...

    def failed(self, request_id: str, error: dict[str, Any], now: datetime) -> Any:
        """The write that stores a failure, for a release's transaction."""
        ...

    def fail(self, request_id: str, error: dict[str, Any], now: datetime) -> bool:
        """Store a failure on its own; False if the request was no longer queued."""
        ...


class FileRepository(Protocol):
    """The items that describe files (/v1/files); their bytes are in the BlobStore."""

    def put(self, stored: StoredFile, *, replace: bool = False) -> None:
        """A new file's item (ConflictError if the id is taken), or, with `replace`, a
        batch's output file made again."""
        ...

    def get(self, file_id: str) -> StoredFile | None: ...

    def delete(self, file_id: str) -> None: ...

    def list_for_user(
        self,
        user_id: str,
        *,
        after: StoredFile | None,
        limit: int,
        descending: bool,
        purpose: str | None,
        now: int,
    ) -> list[StoredFile]:
        """Up to `limit` unexpired files of a user, in creation order, after `after`."""
        ...


class BatchRepository(Protocol):
    """Batches, their status changes, and their lines' outcomes."""

    def create(self, batch: Batch, expires_at: int) -> Batch:
        """Store a new batch; the stored one if its id exists already."""
        ...

    def get(self, batch_id: str) -> Batch | None: ...

    def list_for_user(self, user_id: str, *, after: Batch | None, limit: int) -> list[Batch]:
        """Up to `limit` of a user's batches, newest first, older than `after`."""
        ...

    def item_key(self, batch_id: str) -> dict[str, Any]:
        """The batch item's key, as the workflow's own reads of the batch take it."""
        ...

    def move(
        self, batch_id: str, to: Status, now: int, *, when: Iterable[Status], **extra: Any
    ) -> bool:
        """Change the status to `to` if it is one of `when` (with `extra` attributes)."""
        ...

    def planned(self, batch_id: str, total: int) -> bool:
        """Record the lines the split sent, once."""
        ...

    def due(self, now: int, limit: int = 100) -> list[str]:
        """Ids of batches still running past their completion window."""
        ...

    def line_state(self, batch_id: str, number: int) -> LineState | None:
        """The batch as a line worker needs it, and whether the line is done (one read)."""
        ...

    def line_written(
        self,
        batch_id: str,
        line: StoredLine,
        *,
        expires_at: int,
        usage: tuple[int, int] = (0, 0),
        cost_micro_usd: int = 0,
    ) -> list[Any]:
        """The writes that store a line's outcome (once) and count it in its batch, for a
        settlement's or a release's transaction (Ledger.settle/release `also`) or `record`."""
        ...

    def lines_skipped(self, batch_id: str, numbers: Sequence[int], expires_at: int) -> list[Any]:
        """The writes that store lines as skipped and count them as done, for `record`."""
        ...

    def record(self, writes: Sequence[Any]) -> bool:
        """Store line outcomes that hold no money, all or nothing; False if one was there."""
        ...

    def line_done(self, batch_id: str, number: int) -> bool: ...

    def lines(self, batch_id: str) -> Iterator[StoredLine]:
        """The stored lines in order, read a page at a time."""
        ...


class VideoJobRepository(Protocol):
    """Video jobs: written once before any provider call, ended once (adapters/aws/videos.py)."""

    def create(self, job: VideoJob, expires_at: int) -> None: ...

    def get(self, job_id: str) -> VideoJob | None: ...

    def seen(self, job_id: str, now: int) -> VideoJob | None:
        """The job, recording a poll at `now` if it is running (one write)."""
        ...

    def list_for_user(self, user_id: str, *, after: VideoJob | None, limit: int) -> list[VideoJob]:
        """Up to `limit` of a user's jobs, newest first, older than `after`."""
        ...

    def running_since(self, before: int, limit: int = 100) -> list[str]:
        """Up to `limit` ids of running jobs made before `before` (epoch seconds)."""
        ...

    def item_key(self, job_id: str) -> dict[str, Any]: ...

    def started(self, job_id: str, provider_job_id: str) -> bool:
        """Record the provider's job once, moving to in_progress."""
        ...

    def progressed(self, job_id: str, progress: int) -> bool: ...

    def completed(
        self,
        job_id: str,
        *,
        outputs: list[str],
        thumbnails: list[str | None],
        produced_seconds: float,
        charged_micro_usd: int,
        content_expires_at: int,
        now: datetime,
    ) -> Any:
        """The write that completes a running job, for its settlement's transaction."""
        ...

    def ended(
        self,
        job_id: str,
        status: JobStatus,
        now: datetime,
        *,
        error: dict[str, Any] | None = None,
        lost_micro_usd: int | None = None,
    ) -> Any:
        """The write that ends a running job unpaid, for its release's transaction."""
        ...

    def end(self, job_id: str, status: JobStatus, now: datetime, **details: Any) -> bool:
        """`ended` on its own; False if the job was not running."""
        ...

    def deleted(self, job_id: str) -> bool: ...


class UploadRepository(Protocol):
    """Grants to put a batch file into the bucket, each moved once from pending."""

    def create(self, upload: Upload) -> None: ...

    def get(self, upload_id: str) -> Upload | None: ...

    def settle(
        self,
        upload_id: str,
        status: UploadStatus,
        *,
        batch_id: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Move a pending grant to `status`; False if it was not pending."""
        ...


class JobQueue(Protocol):
    """Work to do later, delivered at least once (SQS): consumers are idempotent."""

    def send(self, body: dict[str, Any], *, delay_seconds: int = 0) -> str:
        """Enqueue one message; its id."""
        ...

    def send_all(self, bodies: Sequence[dict[str, Any]]) -> None: ...


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    """Large bytes kept by key (S3): files, batch inputs and outputs, answers, videos."""

    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """NotFoundError if there is no such object."""
        ...

    def read(self, key: str, byte_range: tuple[int, int] | None) -> bytes: ...

    def size(self, key: str) -> int | None: ...

    def delete(self, key: str) -> None: ...

    def lines(self, key: str, *, start: int = 0) -> Iterator[bytes]:
        """The object's lines from byte `start`, read a range at a time."""
        ...

    def writer(self, key: str, *, content_type: str) -> BlobWriter:
        """An object written in parts, as large as it needs to be."""
        ...

    def download_url(
        self, key: str, *, expires_in: int, filename: str | None = None, content_type: str = ""
    ) -> str:
        """A short-lived URL that serves the bytes without passing them through us."""
        ...

    def upload_url(self, key: str, *, expires_in: int, max_bytes: int) -> dict[str, Any]:
        """A short-lived presigned POST ({url, fields}) for exactly this key."""
        ...


class VectorHit(NamedTuple):
    key: str
    distance: float  # with the index's metric: cosine 1 - cos, or euclidean; nearer is smaller
    metadata: dict[str, Any]


class VectorIndex(Protocol):
    """Vectors kept by key in named indexes (S3 Vectors), searched by nearness. Filters are
    S3 Vectors' metadata filter language ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin,
    $exists, $and, $or)."""

    def ensure_index(
        self,
        name: str,
        dimension: int,
        metric: str = "cosine",
        non_filterable_keys: Sequence[str] = ("text",),
    ) -> None:
        """Create the index unless it exists; ConflictError if it exists with another shape."""
        ...

    def put(
        self, index: str, vectors: Sequence[tuple[str, Sequence[float], dict[str, Any]]]
    ) -> None:
        """Write (key, vector, metadata) triples, replacing vectors of the same key."""
        ...

    def query(
        self,
        index: str,
        vector: Sequence[float],
        top_k: int,
        filter: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        """The top_k nearest vectors that pass the filter, nearest first."""
        ...

    def present(self, index: str, keys: Sequence[str]) -> set[str]:
        """Which of these keys the index holds."""
        ...

    def get(self, index: str, keys: Sequence[str]) -> list[tuple[str, list[float], dict[str, Any]]]:
        """The (key, vector, metadata) of those keys the index holds (to write again)."""
        ...

    def delete(self, index: str, keys: Sequence[str]) -> None: ...

    def delete_index(self, index: str) -> None:
        """Remove the index and its vectors; nothing if there is no such index."""
        ...


class DocumentReader(Protocol):
    """The text of documents uploaded for retrieval (adapters/documents/): PDF, HTML,
    Markdown, JSON, plain text. Both raise InvalidRequestError: `unsupported_file` naming
    a type it cannot read, `invalid_file` for a file that is not what it claims to be."""

    def format(self, data: bytes, filename: str, content_type: str | None = None) -> str:
        """The document's format ("pdf", "html", "markdown", "json", "text"), from its name,
        content type or first bytes: a check at upload that reads nothing else."""
        ...

    def text(self, data: bytes, filename: str, content_type: str | None = None) -> str: ...


class VectorStoreRepository(Protocol):
    """Vector stores, the files in them and their file batches (docs/vector-stores.md).
    Every change of a file's status changes the store's (and its batch's) counts and
    usage_bytes in the same transaction, so they are exact at every moment."""

    def put_store(self, store: VectorStore) -> None:
        """A new store (ConflictError if the id is taken)."""
        ...

    def get_store(self, store_id: str) -> VectorStore | None: ...

    def list_stores(
        self,
        user_id: str,
        *,
        limit: int,
        after: VectorStore | None = None,
        before: VectorStore | None = None,
        descending: bool = True,
    ) -> tuple[list[VectorStore], bool]:
        """A page of a user's stores by creation time, strictly after `after` (or before
        `before`) in that order, and whether more follow."""
        ...

    def update_store(self, store: VectorStore) -> VectorStore:
        """Write its name, metadata, expiry and last_active_at (not its counts); the store
        as stored. NotFoundError if it is gone."""
        ...

    def delete_store(self, store_id: str) -> None:
        """The store and every file and batch item of it."""
        ...

    def add_file(self, file: StoreFile) -> StoreFile:
        """Add an in_progress file, counting it in its store (and batch): total, in_progress,
        usage_bytes. A file already in the store is answered as it is, counted once.
        NotFoundError if the store is gone; ConflictError if its batch was cancelled."""
        ...

    def get_file(self, store_id: str, file_id: str) -> StoreFile | None: ...

    def list_files(
        self,
        store_id: str,
        *,
        limit: int,
        after: str | None = None,
        before: str | None = None,
        descending: bool = True,
        status: FileStatus | None = None,
        batch_id: str | None = None,
    ) -> tuple[list[StoreFile], bool]:
        """A page of a store's files by creation time (of one status, of one batch),
        after or before the file ids given, and whether more follow."""
        ...

    def finish_file(
        self,
        file: StoreFile,
        status: FileStatus,
        *,
        chunks: int = 0,
        last_error: FileError | None = None,
    ) -> bool:
        """Move an in_progress file to `status`, its store's and batch's counts with it;
        False, changing nothing, if it is no longer in_progress (removed, cancelled)."""
        ...

    def update_attributes(
        self, store_id: str, file_id: str, attributes: dict[str, Any]
    ) -> StoreFile | None:
        """Replace a file's attributes; the file, or None if it is not in the store."""
        ...

    def remove_file(self, store_id: str, file_id: str) -> StoreFile | None:
        """Remove a file, its store's (and batch's) counts falling by its status and
        usage_bytes by exactly its bytes; the removed file, or None if it was not there."""
        ...

    def put_batch(self, batch: FileBatch) -> None:
        """A new file batch, before its files are added (with its batch_id)."""
        ...

    def get_batch(self, store_id: str, batch_id: str) -> FileBatch | None: ...

    def cancel_batch(self, store_id: str, batch_id: str) -> FileBatch | None:
        """Mark the batch cancelled and finish its in_progress files `cancelled`; the batch
        as it is then, or None if there is no such batch."""
        ...


class Workflow(Protocol):
    """Long-running jobs driven by a state machine (Step Functions)."""

    def start(self, name: str, input: dict[str, Any]) -> str:
        """Start one execution, named so that starting it twice starts it once."""
        ...

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        """End a task-token step; False if it is no longer waited for."""
        ...

    def fail(self, token: str, error: str, cause: str) -> bool: ...

    def running(self, name: str) -> bool:
        """Whether the execution `name` exists and is still running."""
        ...


class TraceStore(Protocol):
    """Traces, their spans and their counters (domain/traces.py, docs/traces.md). The
    gateway's writes ride on the settlement's transaction: `span_writes` builds them and
    writes nothing."""

    def span_writes(
        self,
        trace: Trace,
        span: Span,
        counters: Counters,
        dims: Dimensions,
        *,
        root: bool,
        expires_at: int | None,
    ) -> list[Any]:
        """The writes that record one span: its item, the trace summary's update (`trace`
        holds this span's share: its tokens and cost are added; the request's own span,
        `root`, sets the trace's name, model, ttft), the payer's counters, for a
        settlement's or release's transaction (Ledger.settle/release `also`)."""
        ...

    def trace_writes(
        self, trace: Trace, counters: Counters, dims: Dimensions, *, expires_at: int | None
    ) -> list[Any]:
        """The writes that record a whole trace (`trace.spans`) and its counters at once
        (ingestion), for `record`."""
        ...

    def add_share(
        self,
        trace: Trace,
        counters: Counters,
        dims: Dimensions,
        *,
        root: bool,
        expires_at: int | None,
    ) -> set[str]:
        """Add a part of a trace (`trace.spans`, `trace` holding their sums) to it, whether
        or not other parts are stored already, in one transaction: its spans put, the
        summary updated as `span_writes` does (`root`: this part holds the trace's root
        span), the counters added. A span stored already (a sender's retry) writes nothing:
        the ids of those are returned, for the part to be sent again without them; empty
        when it was written. ConflictError (nothing written) if the trace is another
        payer's. OTLP, whose exporters send a trace's spans as they end."""
        ...

    def record(self, writes: Sequence[Any]) -> None:
        """Write in one transaction."""
        ...

    def get(self, trace_id: str, now: int) -> Trace | None:
        """The trace with its spans (bodies in S3 not read); None if absent or expired."""
        ...

    def list_traces(
        self, selection: TraceFilter, *, limit: int, cursor: str | None, now: int | None = None
    ) -> TracePage:
        """Newest first; a payer's (GSI1), or everyone's (selection.viewer None: GSI2);
        traces expired at `now` left out. A bad cursor is a 400 (param `after`)."""
        ...

    def stats(
        self, payer_id: str, first_day: str, last_day: str
    ) -> list[tuple[Dimensions, Counters]]:
        """The payer's counter items of these days (inclusive, YYYY-MM-DD)."""
        ...

    def body_stored(self, trace_id: str, span_id: str) -> bool:
        """The span's body reached S3 (False: it was not pending any more)."""
        ...

    def pending_bodies(self, before: int, limit: int = 100) -> list[tuple[str, str]]:
        """(trace id, span id) of bodies pending since before `before` (epoch seconds)."""
        ...

    def lose_body(self, trace_id: str, span_id: str) -> bool:
        """Mark a pending body lost and count it in its counters; False if it was not
        pending any more."""
        ...


class ExperimentRepository(Protocol):
    """Experiments, their runs and score counters, and the scores on traces."""

    def create(self, experiment: Experiment) -> None: ...

    def get(self, experiment_id: str) -> Experiment | None: ...

    def add_score(self, score: Score, *, expires_at: int | None = None) -> bool:
        """Store the score and add it to its experiment's counters, in one transaction;
        False (nothing written) if a score of that id is there already."""
        ...

    def has_score(self, trace_id: str, score_id: str) -> bool: ...

    def score_counters(self, experiment_id: str) -> list[ScoreCounter]: ...

    def put_run(self, run: Run) -> None: ...

    def get_run(self, experiment_id: str, run_id: str) -> Run | None: ...

    def list_runs(self, experiment_id: str) -> list[Run]: ...

    def update_run(
        self,
        run: Run,
        *,
        status: str | None = None,
        when: set[str] | None = None,
        batch_id: str | None = None,
        error: str | None = None,
        scored: int | None = None,
        judge_failures: int | None = None,
    ) -> Run | None:
        """Change a run (its status only from one of `when`); the run as it now is, or
        None when that condition refused the change."""
        ...
