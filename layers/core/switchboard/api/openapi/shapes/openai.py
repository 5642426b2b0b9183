"""OpenAI's objects, as the OpenAI-compatible routes return them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class ListOf(Shape):
    object: Literal["list"]
    has_more: bool | None = None
    first_id: str | None = None
    last_id: str | None = None


class Deleted(Shape):
    id: str
    object: str
    deleted: bool


class ToolCallFunction(Shape):
    name: str
    arguments: str


class ToolCall(Shape):
    id: str
    type: Literal["function"]
    function: ToolCallFunction


class AssistantMessage(Shape):
    role: Literal["assistant"]
    content: str | None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(Shape):
    index: int
    message: AssistantMessage
    finish_reason: str | None
    logprobs: dict[str, Any] | None = None


class Usage(Shape):
    prompt_tokens: int
    completion_tokens: int = 0
    total_tokens: int


class ChatCompletion(Shape):
    """A chat completion; with `stream: true` the answer is SSE frames of
    `chat.completion.chunk` objects (`ChatCompletionChunk`), then `data: [DONE]`."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None


class ChunkDelta(Shape):
    role: str | None = None
    content: str | None = None


class ChunkChoice(Shape):
    index: int
    delta: ChunkDelta
    finish_reason: str | None


class ChatCompletionChunk(Shape):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None


class Embedding(Shape):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str = Field(description="Floats, or base64 of float32s.")


class EmbeddingList(Shape):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: Usage


class Model(Shape):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(Shape):
    object: Literal["list"]
    data: list[Model]


class File(Shape):
    id: str
    object: Literal["file"]
    bytes: int
    created_at: int
    expires_at: int | None = None
    filename: str
    purpose: str
    status: str


class FileList(ListOf):
    data: list[File]


class RequestCounts(Shape):
    total: int
    completed: int
    failed: int


class Batch(Shape):
    id: str
    object: Literal["batch"]
    endpoint: str
    input_file_id: str
    completion_window: str
    status: str
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int
    request_counts: RequestCounts
    metadata: dict[str, Any] | None = None


class BatchList(ListOf):
    data: list[Batch]


class FileCounts(Shape):
    in_progress: int
    completed: int
    failed: int
    cancelled: int
    total: int


class VectorStore(Shape):
    id: str
    object: Literal["vector_store"]
    created_at: int
    name: str | None
    status: str
    usage_bytes: int
    file_counts: FileCounts
    metadata: dict[str, Any] | None = None


class VectorStoreList(ListOf):
    data: list[VectorStore]


class VectorStoreFile(Shape):
    id: str
    object: Literal["vector_store.file"]
    created_at: int
    vector_store_id: str
    status: str
    last_error: dict[str, Any] | None = None


class VectorStoreFileList(ListOf):
    data: list[VectorStoreFile]


class VectorStoreFileBatch(Shape):
    id: str
    object: Literal["vector_store.files_batch"]
    created_at: int
    vector_store_id: str
    status: str
    file_counts: FileCounts


class SearchResult(Shape):
    file_id: str
    filename: str
    score: float
    content: list[dict[str, Any]]


class SearchResults(Shape):
    object: Literal["vector_store.search_results.page"]
    search_query: list[str] | str
    data: list[SearchResult]
    has_more: bool


class FileContentPage(Shape):
    object: Literal["vector_store.file_content.page"]
    data: list[dict[str, Any]]


class Video(Shape):
    id: str
    object: Literal["video"]
    model: str
    status: str
    progress: int
    created_at: int
    completed_at: int | None
    expires_at: int | None
    size: str | None
    seconds: str
    error: dict[str, Any] | None


class VideoList(ListOf):
    data: list[Video]
