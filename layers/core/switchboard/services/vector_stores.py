"""Vector stores (/v1/vector_stores) as use cases: stores, the files in them and their file
batches, search, and retrieval for chat's file_search (docs/vector-stores.md).

A store is its owner's alone: any other caller, an admin too, is told there is no such
store (404). A file is added only from its owner's own Files-API documents (purpose
assistants or user_data) whose type the platform can read; adding it enqueues its ingestion
(services/vector_files.py) once. Removing a file deletes its vectors, its chunk texts and
its item; deleting a store deletes its index, every file's chunk texts and its items.

Searching embeds the query strings with the store's model on the request's meter (billed
like an embeddings call) and queries the store's index; vector_search.py ranks the hits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from switchboard.domain.catalog import Catalog, ModelEntry, ModelType
from switchboard.domain.chunking import ChunkingStrategy
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.files import StoredFile
from switchboard.domain.principals import Principal
from switchboard.domain.validation import invalid_value
from switchboard.domain.vector_filters import (
    ATTRIBUTE_PREFIX,
    attribute_metadata,
    check_attributes,
)
from switchboard.domain.vector_stores import (
    ExpiresAfter,
    FileBatch,
    FileStatus,
    StoreFile,
    VectorStore,
    batch_not_found,
    check_name,
    chunks_key,
    file_not_found,
    is_batch_id,
    new_batch_id,
    new_store_id,
    vector_keys,
)
from switchboard.errors import InvalidRequestError, NotFoundError
from switchboard.ports import (
    BlobStore,
    DocumentReader,
    JobQueue,
    VectorIndex,
    VectorStoreRepository,
)
from switchboard.services.blocking import blocking
from switchboard.services.files import FileService
from switchboard.services.vector_search import VectorSearch

SNIFF_BYTES = 1024  # what a document's type is told from, when its name does not say
KEEP = object()  # an update's field that was not given


class VectorStoreService(VectorSearch):
    def __init__(
        self,
        stores: VectorStoreRepository,
        index: VectorIndex,
        files: FileService,
        documents: DocumentReader,
        blobs: BlobStore,
        queue: JobQueue,
        catalog: Catalog,
        embed: VectorSearch.Embed,
        *,
        default_model: str,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(stores, index, catalog, embed)
        self._files = files
        self._documents = documents
        self._blobs = blobs
        self._queue = queue
        self._default_model = default_model
        self._now = now

    # --- stores -------------------------------------------------------------------

    async def create(
        self,
        principal: Principal,
        *,
        name: str | None,
        embedding_model: str | None,
        chunking: ChunkingStrategy,
        metadata: dict[str, str],
        expires_after: ExpiresAfter | None,
        file_ids: Sequence[str] = (),
    ) -> VectorStore:
        """A new store and its index (the model's dimension, cosine); its files added."""
        model = self._embedding_model(embedding_model or self._default_model)
        dimension = model.dimensions or 0
        now = self._epoch()
        store = VectorStore(new_store_id(), principal.user_id, check_name(name), now, model.id,
                            dimension, now, chunking, metadata, expires_after)  # fmt: skip
        files = [await blocking(self._document, principal.user_id, f) for f in file_ids]
        await blocking(self._index.ensure_index, store.index, dimension)
        await blocking(self._stores.put_store, store)
        for stored in files:
            await blocking(self._add, store, stored, {}, None, None)
        return await self.get(principal, store.store_id)

    def _embedding_model(self, model_id: str) -> ModelEntry:
        model = self._catalog.find(model_id)
        if model is None or model.type is not ModelType.EMBEDDING or not model.dimensions:
            raise invalid_value(
                f"'{model_id}' is not an embedding model of this platform's catalog.",
                "embedding_model",
            )
        return model

    async def get(self, principal: Principal, store_id: str) -> VectorStore:
        return await blocking(self.owned, principal.user_id, store_id)

    async def list_stores(
        self,
        principal: Principal,
        *,
        limit: int,
        after: str | None,
        before: str | None,
        descending: bool,
    ) -> tuple[list[VectorStore], bool]:
        edges = [await self.get(principal, i) if i else None for i in (after, before)]
        return await blocking(
            lambda: self._stores.list_stores(principal.user_id, limit=limit, after=edges[0],
                                             before=edges[1], descending=descending)
        )  # fmt: skip

    async def update(
        self,
        principal: Principal,
        store_id: str,
        *,
        name: Any = KEEP,
        metadata: Any = KEEP,
        expires_after: Any = KEEP,
    ) -> VectorStore:
        """Change what is given (an expiry of None: none), and the store is active now."""
        store = await self.get(principal, store_id)
        changed = replace(
            store,
            name=store.name if name is KEEP else check_name(name),
            last_active_at=self._epoch(),
            metadata=store.metadata if metadata is KEEP or metadata is None else metadata,
            expires_after=store.expires_after if expires_after is KEEP else expires_after,
        )
        return await blocking(self._stores.update_store, changed)

    async def delete(self, principal: Principal, store_id: str) -> None:
        """Its index (with every vector), every file's chunk texts, then its items."""
        store = await self.get(principal, store_id)
        await blocking(self._index.delete_index, store.index)
        files, _ = await blocking(lambda: self._stores.list_files(store_id, limit=1 << 30))
        for file in files:
            await blocking(self._blobs.delete, chunks_key(store.user_id, store_id, file.file_id))
        await blocking(self._stores.delete_store, store_id)

    # --- files --------------------------------------------------------------------

    async def add_file(
        self,
        principal: Principal,
        store_id: str,
        file_id: str,
        *,
        attributes: Any = None,
        chunking: ChunkingStrategy | None = None,
    ) -> StoreFile:
        """Add one of the caller's documents (404 if not theirs, 400 if not a document the
        platform reads) and enqueue its ingestion; a file already there, as it is."""
        store = await self._active(principal, store_id)
        checked = check_attributes(attributes)
        stored = await blocking(self._document, principal.user_id, file_id)
        return await blocking(self._add, store, stored, checked, chunking, None)

    def _document(self, user_id: str, file_id: str) -> StoredFile:
        """The user's Files-API document, its type one the platform reads. Blocking."""
        stored = self._files.owned(user_id, file_id)
        if not stored.purpose.document:
            raise invalid_value(
                f"File '{file_id}' has purpose '{stored.purpose.value}'; vector stores take "
                "files of purpose 'assistants' or 'user_data'.",
                "file_id",
            )
        head = self._blobs.read(stored.key, (0, min(stored.bytes, SNIFF_BYTES) - 1))
        self._documents.format(head, stored.filename, stored.content_type)
        return stored

    def _add(
        self,
        store: VectorStore,
        stored: StoredFile,
        attributes: dict[str, Any],
        chunking: ChunkingStrategy | None,
        batch_id: str | None,
    ) -> StoreFile:
        """Add the file and enqueue it, once; a file the queue did not take is taken out
        again, so that adding it again enqueues it. Blocking."""
        file = StoreFile(store.store_id, stored.file_id, store.user_id, stored.filename,
                         stored.bytes, self._epoch(), FileStatus.IN_PROGRESS,
                         chunking or store.chunking, attributes, batch_id=batch_id)  # fmt: skip
        added = self._stores.add_file(file)
        if added != file:
            return added  # there already: nothing counted or enqueued twice
        try:
            self._queue.send({"vector_store_id": store.store_id, "file_id": file.file_id})
        except BaseException:
            self._stores.remove_file(store.store_id, file.file_id)
            raise
        return added

    async def get_file(self, principal: Principal, store_id: str, file_id: str) -> StoreFile:
        await self.get(principal, store_id)
        return await blocking(self._file, store_id, file_id)

    def _file(self, store_id: str, file_id: str) -> StoreFile:
        file = self._stores.get_file(store_id, file_id)
        if file is None:
            raise file_not_found(store_id, file_id)
        return file

    async def list_files(
        self,
        principal: Principal,
        store_id: str,
        *,
        limit: int,
        after: str | None,
        before: str | None,
        descending: bool,
        status: FileStatus | None,
        batch_id: str | None = None,
    ) -> tuple[list[StoreFile], bool]:
        await self.get(principal, store_id)
        if batch_id is not None:
            await self.get_batch(principal, store_id, batch_id)
        return await blocking(
            lambda: self._stores.list_files(store_id, limit=limit, after=after, before=before,
                                            descending=descending, status=status,
                                            batch_id=batch_id)
        )  # fmt: skip

    async def update_file(
        self, principal: Principal, store_id: str, file_id: str, attributes: Any
    ) -> StoreFile:
        """New attributes for the file, and for its vectors' metadata (filters see them)."""
        store = await self.get(principal, store_id)
        checked = check_attributes(attributes)
        file = await blocking(self._stores.update_attributes, store_id, file_id, checked)
        if file is None:
            raise file_not_found(store_id, file_id)
        await blocking(self._index_attributes, store, file)
        return file

    async def remove_file(self, principal: Principal, store_id: str, file_id: str) -> None:
        """Its vectors, its chunk texts, then its item (counts and usage_bytes with it)."""
        store = await self.get(principal, store_id)
        file = await blocking(self._file, store_id, file_id)
        await blocking(self._index.delete, store.index, vector_keys(file_id, file.chunks))
        await blocking(self._blobs.delete, chunks_key(store.user_id, store_id, file_id))
        await blocking(self._stores.remove_file, store_id, file_id)

    async def file_content(self, principal: Principal, store_id: str, file_id: str) -> list[str]:
        """The file's chunk texts, in order (none until it is ingested)."""
        file = await self.get_file(principal, store_id, file_id)
        try:
            data = await blocking(self._blobs.get, chunks_key(file.user_id, store_id, file_id))
        except NotFoundError:
            return []
        return [str(text) for text in json.loads(data)]

    # --- file batches -------------------------------------------------------------

    async def create_batch(
        self,
        principal: Principal,
        store_id: str,
        files: Sequence[tuple[str, Any, ChunkingStrategy | None]],
    ) -> FileBatch:
        """A batch of (file id, attributes, chunking): every file checked first (404, 400),
        then the batch, then its files added and enqueued."""
        store = await self._active(principal, store_id)
        checked = [(f, check_attributes(a), c) for f, a, c in files]
        documents = [await blocking(self._document, store.user_id, f) for f, _, _ in checked]
        batch = FileBatch(new_batch_id(), store_id, self._epoch(), tuple(f for f, _, _ in checked))
        await blocking(self._stores.put_batch, batch)
        for stored, (_, attributes, chunking) in zip(documents, checked, strict=True):
            await blocking(self._add, store, stored, attributes, chunking, batch.batch_id)
        return await self.get_batch(principal, store_id, batch.batch_id)

    async def get_batch(self, principal: Principal, store_id: str, batch_id: str) -> FileBatch:
        await self.get(principal, store_id)
        found = await blocking(self._stores.get_batch, store_id, batch_id) if is_batch_id(
            batch_id
        ) else None  # fmt: skip
        if found is None:
            raise batch_not_found(store_id, batch_id)
        return found

    async def cancel_batch(self, principal: Principal, store_id: str, batch_id: str) -> FileBatch:
        await self.get_batch(principal, store_id, batch_id)
        cancelled = await blocking(self._stores.cancel_batch, store_id, batch_id)
        if cancelled is None:
            raise batch_not_found(store_id, batch_id)
        return cancelled

    # --- helpers ------------------------------------------------------------------

    def _index_attributes(self, store: VectorStore, file: StoreFile) -> None:
        """Write a file's attributes into its vectors' metadata. Blocking."""
        vectors = self._index.get(store.index, vector_keys(file.file_id, file.chunks))
        attributes = attribute_metadata(file.attributes)
        rewritten = [
            (
                key,
                data,
                {k: v for k, v in meta.items() if not k.startswith(ATTRIBUTE_PREFIX)} | attributes,
            )
            for key, data, meta in vectors
        ]
        if rewritten:
            self._index.put(store.index, rewritten)

    async def _active(self, principal: Principal, store_id: str) -> VectorStore:
        store = await self.get(principal, store_id)
        if store.expired(self._epoch()):
            raise InvalidRequestError(
                f"Vector store '{store_id}' has expired.", param="vector_store_id", code="expired"
            )
        return store

    def _epoch(self) -> int:
        return epoch_seconds(self._now())
