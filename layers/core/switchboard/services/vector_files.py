"""Ingestion of the files added to vector stores (VectorFilesQueue; docs/vector-stores.md,
"Ingestion"): one message per file, `{"vector_store_id", "file_id"}`.

    process  (worker)  the file is still in_progress: read its bytes, extract the text,
                       chunk it with the file's strategy, embed the chunks EMBED_BATCH at a
                       time with the store's model (each batch metered to the store's owner,
                       request id vsfile_<file_id>_<n>), write the vectors, keep the chunks'
                       text for GET .../content, finish the file completed
    bury     (dead-letter consumer)  a message that failed every delivery: the file fails
                       (server_error) and whatever vectors it wrote are deleted

A file that cannot be read (its type, its bytes, no text at all) or paid for fails with
`last_error`; it is never completed with nothing indexed. A transient failure (the
upstream's 5xx or timeout, AWS unavailable) raises, so SQS delivers the message again.

Deliveries may repeat. A file no longer in_progress is left alone. A batch of chunks is
embedded only if its vectors are not all in the index yet, and they are written before
its settlement (as the Recorder of the embeddings call), on a hold whose id is fixed per
file and batch: a redelivery finds the vectors written and pays nothing again, or finds
the hold an earlier delivery left open and settles that one. Only a delivery that dies
between writing a batch's vectors and settling it leaves its hold to the sweeper, which
releases it: a batch may go unbilled, never billed twice.

A file removed (or its batch cancelled) meanwhile makes the finish change nothing: the
vectors and the chunk texts just written are deleted again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import anyio

from switchboard.domain.billing import reservation_id_for
from switchboard.domain.catalog import Catalog
from switchboard.domain.chunking import Chunk, chunk_text
from switchboard.domain.limits import RateLimits
from switchboard.domain.requests import EmbeddingRequest
from switchboard.domain.tokens import split_tokens
from switchboard.domain.vector_filters import vector_metadata
from switchboard.domain.vector_stores import (
    ErrorCode,
    FileError,
    FileStatus,
    StoreFile,
    VectorStore,
    chunks_key,
    vector_key,
    vector_keys,
)
from switchboard.errors import (
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    SwitchboardError,
    classify,
)
from switchboard.ports import (
    AccountRepository,
    BlobStore,
    DocumentReader,
    VectorIndex,
    VectorStoreRepository,
)
from switchboard.services.billing import Billing
from switchboard.services.blocking import blocking
from switchboard.services.files import FileService
from switchboard.services.inference import InferenceService
from switchboard.services.limits import RateLimiter

logger = logging.getLogger("switchboard.vector_files")
EMBED_BATCH = 64  # chunks per embeddings call
CONTEXT_SHARE = 0.8  # of a model's context, in our tokens, given to a chunk's text
FIT_ATTEMPTS = 4  # a batch the model finds too long is sent again, cut by a quarter
RATE_LIMIT_WAITS = 10  # the owner's window is full: wait for the next one, this often
MAX_WAIT_SECONDS = 60
SWEEP_TOP_K = 100  # vectors found (and deleted) per query when a file's count is unknown
SWEEP_ROUNDS = 1000  # queries at most: a file of 100,000 chunks
CHUNKS_TYPE = "application/json"


class FileRefused(Exception):
    """The file fails as it is: it cannot be read, or not paid for."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.error = FileError(code, message)


class FileGone(Exception):
    """The file left the store (removed, cancelled, its store deleted) during ingestion."""


@dataclass(frozen=True, slots=True)
class _Ingestion:
    store: VectorStore
    file: StoreFile
    limits: RateLimits


class VectorFileIngestion:
    def __init__(
        self,
        stores: VectorStoreRepository,
        files: FileService,
        blobs: BlobStore,
        reader: DocumentReader,
        index: VectorIndex,
        catalog: Catalog,
        inference: InferenceService,
        billing: Billing,
        accounts: AccountRepository,
        limiter: RateLimiter,
        *,
        embed_batch: int = EMBED_BATCH,
    ) -> None:
        self._stores = stores
        self._files = files
        self._blobs = blobs
        self._reader = reader
        self._index = index
        self._catalog = catalog
        self._inference = inference
        self._billing = billing
        self._accounts = accounts
        self._limiter = limiter
        self.embed_batch = embed_batch

    async def process(self, message: dict[str, Any]) -> None:
        """Ingest a file that is still in_progress (or do nothing)."""
        found = await self._in_progress(message)
        if found is None:
            return
        store, file = found
        chunks: list[Chunk] = []
        try:
            chunks = await self._chunks(file)
            work = _Ingestion(store, file, await self._limits(file))
            for number, start in enumerate(range(0, len(chunks), self.embed_batch)):
                await self._still_in_progress(file)
                await self._embed(work, number, chunks[start : start + self.embed_batch])
        except FileRefused as refused:
            await self._fail(store, file, refused.error, written=len(chunks))
            return
        except FileGone:
            await self._discard(store, file, len(chunks))
            return
        await self._complete(store, file, chunks)

    async def bury(self, message: dict[str, Any]) -> None:
        """A message that failed every delivery: its file fails, its vectors go."""
        found = await self._in_progress(message)
        if found is None:
            return
        store, file = found
        error = FileError(
            ErrorCode.SERVER_ERROR,
            "The file could not be processed; it was tried repeatedly and failed.",
        )
        failed = await blocking(
            lambda: self._stores.finish_file(file, FileStatus.FAILED, last_error=error)
        )
        if failed:
            await self._sweep(store, file)
            where = {"vector_store_id": store.store_id, "file_id": file.file_id}
            logger.warning("a dead-lettered vector store file failed", extra=where)

    async def _in_progress(self, message: dict[str, Any]) -> tuple[VectorStore, StoreFile] | None:
        store_id, file_id = str(message["vector_store_id"]), str(message["file_id"])
        store = await blocking(self._stores.get_store, store_id)
        file = await blocking(self._stores.get_file, store_id, file_id) if store else None
        if store is None or file is None or file.status is not FileStatus.IN_PROGRESS:
            return None  # gone, or finished already: a redelivery
        return store, file

    async def _still_in_progress(self, file: StoreFile) -> None:
        now = await blocking(self._stores.get_file, file.store_id, file.file_id)
        if now is None or now.status is not FileStatus.IN_PROGRESS:
            raise FileGone(file.file_id)

    async def _chunks(self, file: StoreFile) -> list[Chunk]:
        """The file's text in chunks; FileRefused when there is none to index."""
        try:
            stored = await blocking(self._files.owned, file.user_id, file.file_id)
            data = await blocking(self._blobs.get, stored.key)
        except NotFoundError:
            raise FileRefused(
                ErrorCode.INVALID_FILE,
                f"The file '{file.file_id}' could not be read: it was deleted or has expired.",
            ) from None
        try:
            text = await blocking(self._reader.text, data, file.filename, stored.content_type)
        except InvalidRequestError as refused:
            code = ErrorCode.UNSUPPORTED_FILE if refused.code == "unsupported_file" else (
                ErrorCode.INVALID_FILE
            )  # fmt: skip
            raise FileRefused(code, refused.message) from None
        chunks = await blocking(chunk_text, text, file.chunking)
        if not chunks:
            raise FileRefused(
                ErrorCode.INVALID_FILE, f"The file '{file.filename}' holds no text to index."
            )
        return chunks

    async def _limits(self, file: StoreFile) -> RateLimits:
        user = await blocking(self._accounts.get, file.user_id)
        if user is None:
            raise FileRefused(ErrorCode.SERVER_ERROR, "The vector store's owner is gone.")
        return self._limiter.limits_of(user.plan, user.limits)

    async def _embed(self, work: _Ingestion, number: int, chunks: Sequence[Chunk]) -> None:
        """Embed one batch of chunks and write its vectors, unless an earlier delivery did."""
        keys = [vector_key(work.file.file_id, chunk.index) for chunk in chunks]
        if await blocking(self._index.present, work.store.index, keys) == set(keys):
            return
        budget = self._budget(work.store)
        for attempt in range(FIT_ATTEMPTS):
            try:
                await self._embed_paced(work, number, chunks, budget)
                return
            except InvalidRequestError as refused:
                if refused.code != "context_length_exceeded" or budget is None:
                    raise _refused(refused) from None
                if attempt + 1 == FIT_ATTEMPTS:
                    raise _refused(refused) from None
                budget = budget * 3 // 4  # the model counts more tokens than we do

    async def _embed_paced(
        self, work: _Ingestion, number: int, chunks: Sequence[Chunk], budget: int | None
    ) -> None:
        """One metered embeddings call; a full window of the owner's is waited out."""
        texts = [_fitted(chunk.text, budget) for chunk in chunks]
        request = EmbeddingRequest(model=work.store.embedding_model, input=texts)
        request_id = f"vsfile_{work.file.file_id}_{number}"
        for wait in range(RATE_LIMIT_WAITS + 1):
            meter = self._billing.meter(
                payer_id=work.file.user_id, caller_id=work.file.user_id, limits=work.limits,
                request_id=request_id, reservation_id=reservation_id_for(request_id),
            )  # fmt: skip
            try:
                await self._inference.embed(request, meter, record=_Vectors(self, work, chunks))
                return
            except RateLimitedError as limited:
                if wait == RATE_LIMIT_WAITS:
                    raise
                await anyio.sleep(min(max(limited.retry_after, 1), MAX_WAIT_SECONDS))
            except InsufficientCreditsError as unpaid:
                raise FileRefused(
                    ErrorCode.SERVER_ERROR,
                    f"Embedding the file was refused: {unpaid.message}",
                ) from None
            except NotFoundError as missing:
                if meter.reservation is None:  # before the call: the model, say
                    raise _refused(missing) from None
                await meter.release("the vector store's index is gone")  # with its store
                raise FileGone(work.file.file_id) from None
            except SwitchboardError as error:
                if classify(error)[0] >= 500 or isinstance(error, InvalidRequestError):
                    raise  # transient (SQS delivers again), or judged by _embed
                raise _refused(error) from None

    def _budget(self, store: VectorStore) -> int | None:
        """The most of our tokens a chunk's text may send to the store's model, if its
        context is limited (the local e5 reads 512 of its own)."""
        model = self._catalog.find(store.embedding_model)
        if model is None or not model.context_window:
            return None
        return int(model.context_window * CONTEXT_SHARE)

    def _write(self, work: _Ingestion, chunks: Sequence[Chunk], vectors: list[Any]) -> None:
        """Blocking, on purpose: run before the settlement (a worker handles one message)."""
        file = work.file
        written = [
            (vector_key(file.file_id, chunk.index), vector,
             vector_metadata(file.file_id, chunk.index, chunk.text, file.attributes))
            for chunk, vector in zip(chunks, vectors, strict=True)
        ]  # fmt: skip
        self._index.put(work.store.index, written)

    async def _complete(self, store: VectorStore, file: StoreFile, chunks: list[Chunk]) -> None:
        key = chunks_key(file.user_id, store.store_id, file.file_id)
        data = json.dumps([chunk.text for chunk in chunks], ensure_ascii=False).encode("utf-8")
        await blocking(lambda: self._blobs.put(key, data, content_type=CHUNKS_TYPE))
        finished = await blocking(
            lambda: self._stores.finish_file(file, FileStatus.COMPLETED, chunks=len(chunks))
        )
        if not finished:  # removed or cancelled meanwhile: nothing of it may stay
            await self._discard(store, file, len(chunks))

    async def _fail(
        self, store: VectorStore, file: StoreFile, error: FileError, written: int
    ) -> None:
        await self._discard(store, file, written)
        await blocking(lambda: self._stores.finish_file(file, FileStatus.FAILED, last_error=error))
        logger.info("a vector store file failed", extra={"vector_store_id": store.store_id,
                    "file_id": file.file_id, "code": error.code.value})  # fmt: skip

    async def _discard(self, store: VectorStore, file: StoreFile, chunks: int) -> None:
        """Delete what ingestion wrote for the file: its vectors and chunk texts."""
        key = chunks_key(file.user_id, store.store_id, file.file_id)
        with suppress(NotFoundError):  # the store's index is gone, and its vectors with it
            await blocking(self._index.delete, store.index, vector_keys(file.file_id, chunks))
        await blocking(self._blobs.delete, key)

    async def _sweep(self, store: VectorStore, file: StoreFile) -> None:
        """Delete a file's vectors when how many it wrote is unknown (a dead letter)."""
        probe = [1.0] + [0.0] * (store.dimension - 1)
        only = {"file_id": {"$eq": file.file_id}}
        with suppress(NotFoundError):  # the store's index is gone, and its vectors with it
            for _ in range(SWEEP_ROUNDS):
                hits = await blocking(self._index.query, store.index, probe, SWEEP_TOP_K, only)
                if not hits:
                    break
                await blocking(self._index.delete, store.index, [hit.key for hit in hits])
        key = chunks_key(file.user_id, store.store_id, file.file_id)
        await blocking(self._blobs.delete, key)


class _Vectors:
    """The embeddings call's Recorder: writes the batch's vectors before it is settled."""

    def __init__(self, owner: VectorFileIngestion, work: _Ingestion, chunks: Sequence[Chunk]):
        self._owner = owner
        self._work = work
        self._chunks = chunks

    def answered(self, body: dict[str, Any]) -> Sequence[Any]:
        vectors = [item["embedding"] for item in sorted(body["data"], key=lambda d: d["index"])]
        self._owner._write(self._work, self._chunks, vectors)
        return ()

    def failed(self, error: SwitchboardError) -> Sequence[Any]:
        return ()


def _fitted(text: str, budget: int | None) -> str:
    """The text, cut to `budget` of our tokens when it is longer: a model with a short
    context embeds a chunk's beginning (with auto's 400-token overlap, what it leaves out
    begins the next chunk)."""
    if budget is None:
        return text
    pieces = split_tokens(text)
    return text if len(pieces) <= budget else "".join(pieces[:budget])


def _refused(error: SwitchboardError) -> FileRefused:
    return FileRefused(ErrorCode.SERVER_ERROR, f"Embedding the file failed: {error.message}")
