"""One route's description: what the OpenAPI document says about `METHOD path`.

Each module of `openapi/operations/` mirrors a module of `api/routes/` and declares its
routes' operations beside them, by the same (method, path) the template's Api events mount:

    Operation("POST", "/v1/embeddings", "Create embeddings", "Inference",
              request=EmbeddingRequest, response=EmbeddingList)

`request` and `response` are pydantic models (the request model is the one the route
validates with) or a JSON Schema dict; `response=None` means no body (204, 302).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

Schema = type[BaseModel] | dict[str, Any]
# Who may call: a key or the session cookie (the default), or anyone.
Access = Literal["caller", "public"]
JSON = "application/json"
SSE = "text/event-stream"
BINARY = "application/octet-stream"


@dataclass(frozen=True)
class Param:
    """A query parameter (path parameters come from the path itself)."""

    name: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    request: Schema | None = None
    response: Schema | None = None
    status: int = 200
    access: Access = "caller"
    # the request body's media type; multipart and binary bodies are described, not generated
    request_media: str = JSON
    # what a success answers with: JSON, and e.g. SSE for a stream or bytes for a download
    response_media: tuple[str, ...] = (JSON,)
    stream: Schema | None = None  # with SSE: the JSON object each event's `data` holds
    query: tuple[Param, ...] = ()
    description: str = ""
    # extra documented statuses with no body (a download's 302 to a signed URL)
    redirects: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # response header -> description

    @property
    def key(self) -> tuple[str, str]:
        return self.method.upper(), self.path


def page_params(*extra: Param) -> tuple[Param, ...]:
    """OpenAI's cursor pagination: limit, after (and order where the list has one)."""
    return (
        Param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page."),
        Param("after", {"type": "string"}, "The last id of the previous page."),
        *extra,
    )
