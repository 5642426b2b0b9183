"""The items behind DynamoBatches (batches.py): a batch and its lines as stored, plain
values that dynamo.to_item converts; keys from table.py."""

from __future__ import annotations

from typing import Any

from switchboard.adapters.aws import table
from switchboard.adapters.aws.dynamo import Update
from switchboard.domain.batches import (
    ENTERED_AT,
    Batch,
    Counts,
    Endpoint,
    LineState,
    LineStatus,
    Status,
    StoredLine,
)
from switchboard.domain.limits import RateLimits

KIND = "BATCH"
ABSENT = {"ConditionExpression": "attribute_not_exists(PK)"}
# What a line worker reads of the batch item (and of the line's, whose SK shows it is done).
STATE = "SK, #s, user_id, endpoint, limits, expires_at"
STATE_NAMES = {"#s": "status"}
COUNTERS = ("total", "completed", "failed", "remaining")
USAGE = ("input_tokens", "output_tokens", "cost_micro_usd")


def index_key(batch: Batch) -> str:
    return table.owner_index(
        batch.user_id, KIND, table.epoch_key(batch.created_at), batch.batch_id
    )["GSI1SK"]


def batch_item(batch: Batch, expires_at: int) -> dict[str, Any]:
    """A new batch: its counters at zero, and in the sweeper's index until it ends."""
    return {
        **table.plain_key(table.batch(batch.batch_id)),
        **table.owner_index(batch.user_id, KIND, table.epoch_key(batch.created_at), batch.batch_id),
        "GSI2PK": table.BATCHES_DUE,
        "GSI2SK": table.epoch_key(batch.deadline),
        "type": "batch",
        "batch_id": batch.batch_id,
        "user_id": batch.user_id,
        "endpoint": batch.endpoint.value,
        "input_file_id": batch.input_file_id,
        "input_key": batch.input_key,
        "status": batch.status.value,
        "created_at": batch.created_at,
        "deadline": batch.deadline,
        "limits": batch.limits.to_dict(),
        "metadata": batch.metadata,
        "input_lines": batch.input_lines,
        "output_expires_after": batch.output_expires_after,
        "source": batch.source,
        "errors": batch.errors or None,
        **{name: 0 for name in COUNTERS + USAGE},
        "expires_at": expires_at,
    }


def batch_from(values: dict[str, Any]) -> Batch:
    limits = values["limits"]
    return Batch(
        batch_id=values["batch_id"],
        user_id=values["user_id"],
        endpoint=Endpoint(values["endpoint"]),
        input_file_id=values["input_file_id"],
        input_key=values["input_key"],
        created_at=int(values["created_at"]),
        deadline=int(values["deadline"]),
        limits=RateLimits(int(limits["requests_per_minute"]), int(limits["tokens_per_minute"])),
        status=Status(values["status"]),
        metadata=values.get("metadata"),
        input_lines=_int_or_none(values.get("input_lines")),
        output_expires_after=_int_or_none(values.get("output_expires_after")),
        source=values.get("source", "api"),
        counts=Counts(*(int(values.get(name, 0)) for name in COUNTERS[:3])),
        input_tokens=int(values.get("input_tokens", 0)),
        output_tokens=int(values.get("output_tokens", 0)),
        cost_micro_usd=int(values.get("cost_micro_usd", 0)),
        errors=list(values.get("errors") or _failure(values.get("failure"))),
        output_file_id=values.get("output_file_id"),
        error_file_id=values.get("error_file_id"),
        entered={name: int(values[name]) for name in ENTERED_AT.values() if name in values},
    )


def moved(update: Update, to: Status, now: int, extra: dict[str, Any]) -> Update:
    update.set("status", to.value)
    if to in ENTERED_AT:
        update.set(ENTERED_AT[to], now)
    for name, value in extra.items():
        if value is not None:
            update.set(name, value)
    return update


def line_state(batch_id: str, found: list[dict[str, Any]]) -> LineState | None:
    batch = next((values for values in found if values["SK"] == KIND), None)
    if batch is None:
        return None
    limits = batch["limits"]
    return LineState(
        batch_id=batch_id,
        user_id=batch["user_id"],
        endpoint=Endpoint(batch["endpoint"]),
        status=Status(batch["status"]),
        limits=RateLimits(int(limits["requests_per_minute"]), int(limits["tokens_per_minute"])),
        expires_at=int(batch["expires_at"]),
        line_done=any(values["SK"].startswith(table.LINE_PREFIX) for values in found),
    )


def line_item(batch_id: str, line: StoredLine, expires_at: int) -> dict[str, Any]:
    return {
        **table.plain_key(table.batch_line(batch_id, line.number)),
        "type": "batch_line",
        "number": line.number,
        "status": line.status.value,
        "line": line.text,
        "blob_key": line.blob_key,
        "expires_at": expires_at,
    }


def line_from(values: dict[str, Any]) -> StoredLine:
    return StoredLine(
        number=int(values["number"]),
        status=LineStatus(values["status"]),
        text=values.get("line"),
        blob_key=values.get("blob_key"),
    )


def _failure(error: str | None) -> list[dict[str, Any]]:
    """The errors of a batch the state machine itself marked failed (a step's timeout)."""
    if error is None:
        return []
    message = f"The batch could not be processed ({error})."
    return [{"code": "processing_failed", "message": message, "param": None, "line": None}]


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
