"""Retrieval: the vector index, document reading, vector stores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from switchboard.domain.vector_stores import (
        FileBatch,
        FileError,
        FileStatus,
        StoreFile,
        VectorStore,
    )


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
