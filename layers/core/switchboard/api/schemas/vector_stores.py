"""Vector stores: the request bodies of /v1/vector_stores and its files, file batches and
search, in OpenAI's shapes (a bad one is a 400 naming the field, api/requests.py). The
objects answered are the domain's `to_dict` (domain/vector_stores.py). Chunking strategies,
attributes and filters are judged by the domain's rules, which name the parameter."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from switchboard.domain.batches import check_metadata
from switchboard.domain.chunking import ChunkingStrategy, parse_chunking_strategy
from switchboard.domain.vector_stores import (
    DEFAULT_SEARCH_RESULTS,
    MAX_FILES_PER_BATCH,
    MAX_SEARCH_RESULTS,
    ExpiresAfter,
)

Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]
MAX_QUERIES = 20  # query strings in one search


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expiry(_Body):
    anchor: Literal["last_active_at"]
    days: Annotated[int, Field(ge=1, le=365)]

    def rule(self) -> ExpiresAfter:
        return ExpiresAfter(self.days, self.anchor)


class Chunked(_Body):
    chunking_strategy: dict[str, Any] | None = None

    def chunking(self) -> ChunkingStrategy | None:
        """The strategy asked for; None when none was (the store's default applies)."""
        if self.chunking_strategy is None:
            return None
        return parse_chunking_strategy(self.chunking_strategy)


class CreateVectorStoreRequest(Chunked):
    name: str | None = None
    description: str | None = None  # accepted, as OpenAI's; not kept
    file_ids: Annotated[list[Id], Field(max_length=500)] = []
    metadata: dict[str, str] | None = None
    expires_after: Expiry | None = None
    embedding_model: Id | None = None  # ours: a catalog embedding model

    @model_validator(mode="after")
    def _metadata(self) -> CreateVectorStoreRequest:
        check_metadata(self.metadata)
        return self


class UpdateVectorStoreRequest(_Body):
    name: str | None = None
    metadata: dict[str, str] | None = None
    expires_after: Expiry | None = None

    @model_validator(mode="after")
    def _metadata(self) -> UpdateVectorStoreRequest:
        check_metadata(self.metadata)
        return self

    def changes(self) -> dict[str, Any]:
        """Only what the body gave (an expiry of null: none)."""
        given = self.model_fields_set
        changes: dict[str, Any] = {k: getattr(self, k) for k in ("name", "metadata") if k in given}
        if "expires_after" in given:
            changes["expires_after"] = self.expires_after.rule() if self.expires_after else None
        return changes


class CreateVectorStoreFileRequest(Chunked):
    file_id: Id
    attributes: dict[str, Any] | None = None


class CreateFileBatchRequest(Chunked):
    file_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_FILES_PER_BATCH)] | None = None
    files: (
        Annotated[list[CreateVectorStoreFileRequest], Field(min_length=1,
                                                            max_length=MAX_FILES_PER_BATCH)]
        | None
    ) = None  # fmt: skip
    attributes: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_list(self) -> CreateFileBatchRequest:
        if (self.file_ids is None) == (self.files is None):
            raise ValueError("give exactly one of file_ids and files")
        return self

    def entries(self) -> list[tuple[str, Any, ChunkingStrategy | None]]:
        """(file id, attributes, chunking) of each file: `files` carry their own."""
        if self.files is not None:
            return [(f.file_id, f.attributes, f.chunking()) for f in self.files]
        chunking = self.chunking()
        return [(file_id, self.attributes, chunking) for file_id in self.file_ids or []]


class UpdateFileAttributesRequest(_Body):
    attributes: dict[str, Any] | None


class RankingOptions(_Body):
    ranker: Literal["auto", "none", "default-2024-11-15", "hybrid"] = "auto"
    score_threshold: Annotated[float, Field(ge=0, le=1)] = 0.0


class SearchRequest(_Body):
    query: str | list[str]
    max_num_results: Annotated[int, Field(ge=1, le=MAX_SEARCH_RESULTS)] = DEFAULT_SEARCH_RESULTS
    filters: dict[str, Any] | None = None
    ranking_options: RankingOptions = RankingOptions()
    rewrite_query: bool = False  # accepted; the query is searched as given

    @field_validator("query")
    @classmethod
    def _queries(cls, value: str | list[str]) -> str | list[str]:
        texts = [value] if isinstance(value, str) else value
        if not 1 <= len(texts) <= MAX_QUERIES or not all(text.strip() for text in texts):
            raise ValueError(f"query is a non-empty string or a list of 1 to {MAX_QUERIES} of them")
        return value

    @property
    def queries(self) -> list[str]:
        return [self.query] if isinstance(self.query, str) else list(self.query)
