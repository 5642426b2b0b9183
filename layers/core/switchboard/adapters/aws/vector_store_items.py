"""The items of vector stores (vector_stores.py): their attributes both ways.

Attributes and last_error are kept as JSON text: attribute values may be floats, which the
table's plain encoding (dynamo.to_attr) keeps to integers.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.adapters.aws import table
from switchboard.domain.chunking import ChunkingStrategy
from switchboard.domain.vector_stores import (
    ErrorCode,
    ExpiresAfter,
    FileBatch,
    FileCounts,
    FileError,
    FileStatus,
    StoreFile,
    VectorStore,
)

KIND = "VSTORE"
COUNTS = ("in_progress", "completed", "failed", "cancelled", "total")
ABSENT = {"ConditionExpression": "attribute_not_exists(PK)"}


def store_item(store: VectorStore) -> dict[str, Any]:
    expiry = store.expires_after
    return {
        **table.plain_key(table.vector_store(store.store_id)),
        **table.owner_index(store.user_id, KIND, table.epoch_key(store.created_at), store.store_id),
        "type": "vector_store",
        "store_id": store.store_id,
        "user_id": store.user_id,
        "name": store.name,
        "created_at": store.created_at,
        "embedding_model": store.embedding_model,
        "dimension": store.dimension,
        "chunking": _chunking_item(store.chunking),
        "metadata": store.metadata,
        "expires_days": expiry.days if expiry else None,
        "last_active_at": store.last_active_at,
        "usage_bytes": store.usage_bytes,
        **_counts_item(store.file_counts),
    }


def store_from(values: dict[str, Any]) -> VectorStore:
    days = values.get("expires_days")
    return VectorStore(
        store_id=values["store_id"],
        user_id=values["user_id"],
        name=values.get("name", ""),
        created_at=int(values["created_at"]),
        embedding_model=values["embedding_model"],
        dimension=int(values["dimension"]),
        last_active_at=int(values["last_active_at"]),
        chunking=_chunking_from(values.get("chunking")),
        metadata=dict(values.get("metadata") or {}),
        expires_after=ExpiresAfter(int(days)) if days else None,
        usage_bytes=int(values.get("usage_bytes", 0)),
        file_counts=_counts_from(values),
    )


def index_key(store: VectorStore) -> str:
    """The store's GSI1 sort key: its owner's stores sort by creation."""
    created = table.epoch_key(store.created_at)
    return table.owner_index(store.user_id, KIND, created, store.store_id)["GSI1SK"]


def file_item(file: StoreFile) -> dict[str, Any]:
    return {
        **table.plain_key(table.store_file(file.store_id, file.file_id)),
        "type": "vector_store.file",
        "store_id": file.store_id,
        "file_id": file.file_id,
        "user_id": file.user_id,
        "filename": file.filename,
        "bytes": file.bytes,
        "created_at": file.created_at,
        "status": file.status.value,
        "chunking": _chunking_item(file.chunking),
        "attributes": json.dumps(file.attributes),
        "last_error": error_text(file.last_error),
        "chunks": file.chunks,
        "batch_id": file.batch_id,
    }


def file_from(values: dict[str, Any]) -> StoreFile:
    return StoreFile(
        store_id=values["store_id"],
        file_id=values["file_id"],
        user_id=values["user_id"],
        filename=values["filename"],
        bytes=int(values["bytes"]),
        created_at=int(values["created_at"]),
        status=FileStatus(values["status"]),
        chunking=_chunking_from(values.get("chunking")),
        attributes=json.loads(values.get("attributes") or "{}"),
        last_error=error_from(values.get("last_error")),
        chunks=int(values.get("chunks", 0)),
        batch_id=values.get("batch_id"),
    )


def error_text(error: FileError | None) -> str | None:
    return json.dumps(error.to_dict()) if error else None


def error_from(text: str | None) -> FileError | None:
    if not text:
        return None
    error = json.loads(text)
    return FileError(ErrorCode(error["code"]), error["message"])


def batch_item(batch: FileBatch) -> dict[str, Any]:
    return {
        **table.plain_key(table.store_batch(batch.store_id, batch.batch_id)),
        "type": "vector_store.files_batch",
        "store_id": batch.store_id,
        "batch_id": batch.batch_id,
        "created_at": batch.created_at,
        "file_ids": list(batch.file_ids),
        "batch_cancelled": batch.cancelled,  # beside the count "cancelled"
        **_counts_item(batch.counts),
    }


def batch_from(values: dict[str, Any]) -> FileBatch:
    return FileBatch(
        batch_id=values["batch_id"],
        store_id=values["store_id"],
        created_at=int(values["created_at"]),
        file_ids=tuple(values.get("file_ids") or ()),
        counts=_counts_from(values),
        cancelled=bool(values.get("batch_cancelled", False)),
    )


def _counts_item(counts: FileCounts) -> dict[str, int]:
    return {name: getattr(counts, name) for name in COUNTS}


def _counts_from(values: dict[str, Any]) -> FileCounts:
    return FileCounts(**{name: int(values.get(name, 0)) for name in COUNTS})


def _chunking_item(strategy: ChunkingStrategy) -> dict[str, Any]:
    return {
        "type": strategy.type,
        "max_chunk_size_tokens": strategy.max_chunk_size_tokens,
        "chunk_overlap_tokens": strategy.chunk_overlap_tokens,
    }


def _chunking_from(values: dict[str, Any] | None) -> ChunkingStrategy:
    if not values:
        return ChunkingStrategy()
    return ChunkingStrategy(
        int(values["max_chunk_size_tokens"]), int(values["chunk_overlap_tokens"]), values["type"]
    )
