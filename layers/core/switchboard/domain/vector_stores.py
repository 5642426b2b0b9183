"""Vector stores (OpenAI's /v1/vector_stores): a user's collections of files, chunked,
embedded and indexed in S3 Vectors for search and chat's file_search (docs/vector-stores.md).

    VectorStore   vs_<24 hex>    owner, name, embedding model, default chunking, metadata,
                                 expiry, usage_bytes, file counts; its index: vs-<24 hex>
    StoreFile     file-...       a Files-API file in one store: status, last_error,
                                 attributes, chunking, chunks written (vectors <file_id>:<n>)
    FileBatch     vsfb_<24 hex>  files added together, with their own counts

A store's status is `expired` once its expiry has passed, `in_progress` while any file is,
else `completed`. Attribute rules and filters are in domain/vector_filters.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from switchboard.domain.chunking import AUTO, ChunkingStrategy
from switchboard.domain.validation import invalid_value
from switchboard.errors import NotFoundError

DAY_SECONDS = 86_400
MAX_EXPIRY_DAYS = 365
MAX_NAME_CHARS = 256
MAX_FILES_PER_BATCH = 2000  # file ids in one file batch, as OpenAI allows
MAX_SEARCH_RESULTS = 50
DEFAULT_SEARCH_RESULTS = 10
HYBRID_CANDIDATES = 100  # re-ranked by the hybrid ranker (S3 Vectors' topK maximum)
_STORE_ID = re.compile(r"^vs_[0-9a-f]{24}$")
_BATCH_ID = re.compile(r"^vsfb_[0-9a-f]{24}$")


class FileStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ErrorCode(StrEnum):
    SERVER_ERROR = "server_error"
    UNSUPPORTED_FILE = "unsupported_file"
    INVALID_FILE = "invalid_file"


@dataclass(frozen=True, slots=True)
class FileError:
    code: ErrorCode
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class FileCounts:
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "in_progress": self.in_progress,
            "completed": self.completed,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class ExpiresAfter:
    days: int
    anchor: str = "last_active_at"

    def __post_init__(self) -> None:
        if self.anchor != "last_active_at" or not 1 <= self.days <= MAX_EXPIRY_DAYS:
            raise invalid_value(
                "expires_after takes anchor 'last_active_at' and days from 1 to 365.",
                "expires_after",
            )

    def to_dict(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "days": self.days}


@dataclass(frozen=True, slots=True)
class VectorStore:
    store_id: str
    user_id: str
    name: str
    created_at: int  # epoch seconds
    embedding_model: str  # a catalog embedding model's id
    dimension: int  # its vectors' size, the index's dimension
    last_active_at: int  # created, updated, a file added
    chunking: ChunkingStrategy = AUTO  # for files added without one
    metadata: dict[str, str] = field(default_factory=dict)
    expires_after: ExpiresAfter | None = None
    usage_bytes: int = 0
    file_counts: FileCounts = FileCounts()

    @property
    def index(self) -> str:
        return index_name(self.store_id)

    @property
    def expires_at(self) -> int | None:
        if self.expires_after is None:
            return None
        return self.last_active_at + self.expires_after.days * DAY_SECONDS

    def expired(self, now: int) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def status(self, now: int) -> str:
        if self.expired(now):
            return "expired"
        return "in_progress" if self.file_counts.in_progress else "completed"

    def to_dict(self, now: int) -> dict[str, Any]:
        """OpenAI's vector_store (expires_after only when it has one, as OpenAI's)."""
        expiry = {"expires_after": self.expires_after.to_dict()} if self.expires_after else {}
        return {
            "id": self.store_id,
            "object": "vector_store",
            "created_at": self.created_at,
            "name": self.name,
            "usage_bytes": self.usage_bytes,
            "file_counts": self.file_counts.to_dict(),
            "status": self.status(now),
            **expiry,
            "expires_at": self.expires_at,
            "last_active_at": self.last_active_at,
            "metadata": self.metadata,
            "embedding_model": self.embedding_model,  # ours: the model its vectors are from
        }


@dataclass(frozen=True, slots=True)
class StoreFile:
    store_id: str
    file_id: str
    user_id: str  # the store's owner, who owns the Files-API file
    filename: str
    bytes: int
    created_at: int
    status: FileStatus = FileStatus.IN_PROGRESS
    chunking: ChunkingStrategy = AUTO
    attributes: dict[str, str | int | float | bool] = field(default_factory=dict)
    last_error: FileError | None = None
    chunks: int = 0  # vectors written: keys <file_id>:0 .. <file_id>:<chunks - 1>
    batch_id: str | None = None

    def finished(
        self, status: FileStatus, *, chunks: int = 0, last_error: FileError | None = None
    ) -> StoreFile:
        return replace(self, status=status, chunks=chunks, last_error=last_error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.file_id,
            "object": "vector_store.file",
            "usage_bytes": self.bytes,
            "created_at": self.created_at,
            "vector_store_id": self.store_id,
            "status": self.status.value,
            "last_error": self.last_error.to_dict() if self.last_error else None,
            "chunking_strategy": self.chunking.to_dict(),
            "attributes": self.attributes,
        }


@dataclass(frozen=True, slots=True)
class FileBatch:
    batch_id: str
    store_id: str
    created_at: int
    file_ids: tuple[str, ...]
    counts: FileCounts = FileCounts()
    cancelled: bool = False

    @property
    def status(self) -> str:
        if self.counts.in_progress:
            return "in_progress"
        return "cancelled" if self.cancelled else "completed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.batch_id,
            "object": "vector_store.files_batch",
            "created_at": self.created_at,
            "vector_store_id": self.store_id,
            "status": self.status,
            "file_counts": self.counts.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One chunk found for a query (search results, chat's file_search sources)."""

    vector_store_id: str
    file_id: str
    filename: str
    score: float  # 0..1, best is highest
    text: str
    attributes: dict[str, Any]
    chunk: int = 0


def new_store_id() -> str:
    return "vs_" + secrets.token_hex(12)


def new_batch_id() -> str:
    return "vsfb_" + secrets.token_hex(12)


def is_store_id(value: str) -> bool:
    return bool(_STORE_ID.match(value))


def is_batch_id(value: str) -> bool:
    return bool(_BATCH_ID.match(value))


def index_name(store_id: str) -> str:
    """The store's S3 Vectors index: 3 to 63 lowercase letters, digits and hyphens."""
    return "vs-" + store_id.removeprefix("vs_")


def vector_key(file_id: str, chunk: int) -> str:
    return f"{file_id}:{chunk}"


def vector_keys(file_id: str, chunks: int) -> list[str]:
    """Every vector key a file with `chunks` chunks wrote."""
    return [vector_key(file_id, n) for n in range(chunks)]


def chunks_key(user_id: str, store_id: str, file_id: str) -> str:
    """Where a file's chunk texts are kept (a JSON list), for GET .../content."""
    return f"vector-stores/{user_id}/{store_id}/{file_id}.json"


def check_name(name: str | None) -> str:
    name = (name or "").strip()
    if len(name) > MAX_NAME_CHARS:
        raise invalid_value(f"name is at most {MAX_NAME_CHARS} characters.", "name")
    return name


def deleted_store(store_id: str) -> dict[str, Any]:
    return {"id": store_id, "object": "vector_store.deleted", "deleted": True}


def deleted_file(file_id: str) -> dict[str, Any]:
    return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}


def search_page(queries: Sequence[str], results: Sequence[Retrieved]) -> dict[str, Any]:
    data = [
        {
            "file_id": r.file_id,
            "filename": r.filename,
            "score": r.score,
            "attributes": r.attributes,
            "content": [{"type": "text", "text": r.text}],
        }
        for r in results
    ]
    return {
        "object": "vector_store.search_results.page",
        "search_query": list(queries),
        "data": data,
        "has_more": False,
        "next_page": None,
    }


def content_page(texts: Sequence[str]) -> dict[str, Any]:
    return {
        "object": "vector_store.file_content.page",
        "data": [{"type": "text", "text": text} for text in texts],
        "has_more": False,
        "next_page": None,
    }


def list_page(objects: Sequence[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": list(objects),
        "first_id": objects[0]["id"] if objects else None,
        "last_id": objects[-1]["id"] if objects else None,
        "has_more": has_more,
    }


def store_not_found(store_id: str) -> NotFoundError:
    return NotFoundError(
        f"No vector store found with id '{store_id}'.", param="vector_store_id", code=None
    )


def file_not_found(store_id: str, file_id: str) -> NotFoundError:
    return NotFoundError(
        f"No file found with id '{file_id}' in vector store '{store_id}'.", param="file_id"
    )


def batch_not_found(store_id: str, batch_id: str) -> NotFoundError:
    return NotFoundError(
        f"No file batch found with id '{batch_id}' in vector store '{store_id}'.",
        param="batch_id",
    )
