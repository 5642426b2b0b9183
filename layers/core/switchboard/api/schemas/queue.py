"""Queued requests: POST /v1/ai {model, prompt, max_tokens?, temperature?, system?} and the
answers of the POST (202) and of GET /v1/ai?req_id=... Times are unix seconds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.domain.queue import QueuedInput, QueuedRequest

Text = Annotated[str, StringConstraints(min_length=1)]


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    system: Text | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None

    def queued_input(self) -> QueuedInput:
        return QueuedInput(self.prompt, self.system, self.max_tokens, self.temperature)


def submitted_view(request: QueuedRequest) -> dict[str, Any]:
    return {"request_id": request.request_id, "model": request.model, "status": "queued"}


def status_view(request: QueuedRequest, response: str | None) -> dict[str, Any]:
    completed = request.completed_at
    return {
        "req_id": request.request_id,
        "model": request.model,
        "status": request.status.value,
        "response": response,
        "usage": request.usage,
        "error": request.error,
        "created_at": int(request.created_at.timestamp()),
        "completed_at": int(completed.timestamp()) if completed else None,
    }


def request_list_view(requests: list[QueuedRequest], cursor: str | None) -> dict[str, Any]:
    """A page of queued requests: their status, without answers (GET /v1/ai?req_id= has it)."""
    data = [{key: value for key, value in status_view(request, None).items() if key != "response"}
            for request in requests]  # fmt: skip
    return {"object": "list", "data": data, "has_more": cursor is not None,
            "next_cursor": cursor}  # fmt: skip
