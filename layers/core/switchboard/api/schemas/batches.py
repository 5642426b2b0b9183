"""Batches: POST /v1/batches's body, and OpenAI's batch object (with our `cost_usd`, the
batch's charges so far as a six-decimal USD string) and its list. Times are unix seconds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.domain.batches import ENTERED_AT, Batch, BatchOrder
from switchboard.domain.money import format_usd

Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class OutputExpiry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anchor: Literal["created_at"]
    seconds: Annotated[int, Field(ge=3600, le=2_592_000)]


class OrderFields(BaseModel):
    """What a batch is asked to do, as POST /v1/batches and POST /v1/batches/uploads take it."""

    model_config = ConfigDict(extra="forbid")

    endpoint: Id
    completion_window: Id
    metadata: dict[str, str] | None = None
    output_expires_after: OutputExpiry | None = None

    def order(self) -> BatchOrder:
        expiry = self.output_expires_after
        return BatchOrder.of(
            self.endpoint,
            self.completion_window,
            self.metadata,
            (expiry.anchor, expiry.seconds) if expiry else None,
        )


class CreateBatchRequest(OrderFields):
    input_file_id: Id


def batch_view(batch: Batch) -> dict[str, Any]:
    counts = batch.counts
    return {
        "id": batch.batch_id,
        "object": "batch",
        "endpoint": batch.endpoint.value,
        "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "status": batch.status.shown,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "created_at": batch.created_at,
        "expires_at": batch.deadline,
        **{name: batch.entered.get(name) for name in ENTERED_AT.values()},
        "request_counts": {
            "total": counts.total,
            "completed": counts.completed,
            "failed": counts.failed,
        },
        "usage": {
            "input_tokens": batch.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": batch.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": batch.input_tokens + batch.output_tokens,
        },
        "cost_usd": format_usd(batch.cost_micro_usd),
        "metadata": batch.metadata,
    }


def batch_list_view(batches: list[Batch], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [batch_view(batch) for batch in batches],
        "first_id": batches[0].batch_id if batches else None,
        "last_id": batches[-1].batch_id if batches else None,
        "has_more": has_more,
    }
