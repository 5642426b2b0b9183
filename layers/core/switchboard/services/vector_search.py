"""Search in vector stores: POST /v1/vector_stores/{id}/search, and chat's file_search
(`visible`, `retrieve`), as docs/vector-stores.md ("Search") says.

Query strings are embedded in one call with the store's model, on the caller's meter (an
embeddings call, billed to them). Each is queried in the store's index with the filter;
a hit's score is 1 - its cosine distance, clipped to [0, 1]. The `hybrid` ranker queries
HYBRID_CANDIDATES and re-ranks them by domain/ranking.hybrid_scores (BM25 over their text
fused with the vector score); the others keep the vector order. A chunk found by several
queries keeps its best score. Hits are described from the files' items (filename,
attributes): a file no longer in the store, or not completed, is not a result. An index
that fails or is missing is an error (503), never an empty page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from switchboard.domain.catalog import Catalog
from switchboard.domain.ranking import hybrid_scores
from switchboard.domain.requests import EmbeddingRequest
from switchboard.domain.vector_filters import attributes_of, s3_filter
from switchboard.domain.vector_stores import (
    HYBRID_CANDIDATES,
    FileStatus,
    Retrieved,
    StoreFile,
    VectorStore,
    is_store_id,
    store_not_found,
)
from switchboard.errors import NotFoundError, ServiceUnavailableError
from switchboard.ports import VectorHit, VectorIndex, VectorStoreRepository
from switchboard.services.blocking import blocking

if TYPE_CHECKING:
    from switchboard.services.meter import Meter

VECTOR_RANKERS = ("auto", "none", "default-2024-11-15")
RANKERS = (*VECTOR_RANKERS, "hybrid")


class VectorSearch:
    Embed = Callable[[EmbeddingRequest, "Meter"], Awaitable[dict[str, Any]]]

    def __init__(
        self, stores: VectorStoreRepository, index: VectorIndex, catalog: Catalog, embed: Embed
    ) -> None:
        self._stores = stores
        self._index = index
        self._catalog = catalog
        self._embed = embed

    def owned(self, user_id: str, store_id: str) -> VectorStore:
        """The store, if it is this user's (else 404). Blocking."""
        store = self._stores.get_store(store_id) if is_store_id(store_id) else None
        if store is None or store.user_id != user_id:
            raise store_not_found(store_id)
        return store

    def visible(self, user_id: str, store_ids: Sequence[str]) -> list[VectorStore]:
        """The stores, every one the user's: 404 naming the first that is not. Blocking;
        reads only."""
        return [self.owned(user_id, store_id) for store_id in dict.fromkeys(store_ids)]

    async def search(
        self,
        store: VectorStore,
        queries: Sequence[str],
        meter: Meter,
        *,
        max_results: int,
        filters: Any = None,
        ranker: str = "auto",
        score_threshold: float = 0.0,
    ) -> list[Retrieved]:
        """The best chunks for the queries, best first (the filter checked before any hold)."""
        condition = s3_filter(filters)
        vectors = await self._vectors(store.embedding_model, queries, meter)
        top_k = HYBRID_CANDIDATES if ranker == "hybrid" else max_results
        found: list[Retrieved] = []
        for query, vector in zip(queries, vectors, strict=True):
            found += await self._query(store, query, vector, top_k, condition, ranker == "hybrid")
        kept = [hit for hit in _best(found) if hit.score >= score_threshold]
        return await blocking(self._described, kept, max_results)

    async def retrieve(
        self, stores: Sequence[VectorStore], query: str, max_results: int, meter: Meter
    ) -> list[Retrieved]:
        """The best chunks for chat's file_search across the stores, hybrid-ranked. The
        stores share one embedding model (domain/file_search.by_embedding_model groups
        them): the query is embedded once, on `meter`."""
        if not stores:
            return []
        (vector,) = await self._vectors(stores[0].embedding_model, [query], meter)
        found: list[Retrieved] = []
        for store in stores:
            found += await self._query(store, query, vector, HYBRID_CANDIDATES, None, True)
        return await blocking(self._described, _best(found), max_results)

    async def _vectors(self, model: str, texts: Sequence[str], meter: Meter) -> list[list[float]]:
        body = await self._embed(EmbeddingRequest(model=model, input=list(texts)), meter)
        return [list(item["embedding"]) for item in body["data"]]

    async def _query(
        self,
        store: VectorStore,
        query: str,
        vector: Sequence[float],
        top_k: int,
        condition: dict[str, Any] | None,
        hybrid: bool,
    ) -> list[Retrieved]:
        try:
            hits = await blocking(self._index.query, store.index, vector, top_k, condition)
        except NotFoundError:
            raise ServiceUnavailableError(
                f"The index of vector store '{store.store_id}' is unavailable."
            ) from None
        scores = [min(1.0, max(0.0, 1.0 - hit.distance)) for hit in hits]
        if hybrid and hits:
            texts = [str(hit.metadata.get("text", "")) for hit in hits]
            scores = [min(1.0, max(0.0, s)) for s in hybrid_scores(query, texts, scores)]
        return [_retrieved(store, hit, score) for hit, score in zip(hits, scores, strict=True)]

    def _described(self, found: list[Retrieved], limit: int) -> list[Retrieved]:
        """The best `limit` hits of files still in their store and completed, with their
        filename and attributes. Blocking."""
        files: dict[tuple[str, str], StoreFile | None] = {}
        results: list[Retrieved] = []
        for hit in found:
            where = (hit.vector_store_id, hit.file_id)
            if where not in files:
                files[where] = self._stores.get_file(*where)
            file = files[where]
            if file is not None and file.status is FileStatus.COMPLETED:
                results.append(_named(hit, file))
            if len(results) == limit:
                break
        return results


def _retrieved(store: VectorStore, hit: VectorHit, score: float) -> Retrieved:
    metadata = hit.metadata
    file_id, _, chunk = hit.key.rpartition(":")
    return Retrieved(store.store_id, str(metadata.get("file_id", file_id)), "", score,
                     str(metadata.get("text", "")), attributes_of(metadata),
                     int(chunk) if chunk.isdigit() else 0)  # fmt: skip


def _named(hit: Retrieved, file: StoreFile) -> Retrieved:
    return Retrieved(hit.vector_store_id, hit.file_id, file.filename, hit.score, hit.text,
                     dict(file.attributes), hit.chunk)  # fmt: skip


def _best(found: list[Retrieved]) -> list[Retrieved]:
    """Each chunk once, with its best score; best first (ties: store, file, chunk)."""
    best: dict[tuple[str, str, int], Retrieved] = {}
    for hit in found:
        key = (hit.vector_store_id, hit.file_id, hit.chunk)
        if key not in best or hit.score > best[key].score:
            best[key] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.vector_store_id, h.file_id, h.chunk))
