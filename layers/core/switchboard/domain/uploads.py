"""Batch uploads: a batch file put straight into the bucket, under its owner's prefix, which
starts a batch when it arrives (S3 notifies the platform).

    POST /v1/batches/uploads ──> a grant: upload_<id>, for one key, for one user
         │                        batch-input/<user_id>/<upload_id>/<name>
         │                        and a presigned POST for exactly that key
         └─ the file arrives ──> pending ──> started   (its batch: batch_<upload id's hex>)
                                        └──> rejected  (an error object beside it, never run)

A file runs only if its key names an existing user and a pending grant that was made for
that user and that key: the grant is how an upload is tied to its owner. A grant is made
only for a caller who may act for the user (the user, with a key allowed to batch, or an
admin), so no one can start a batch, and spend credits, in another user's name; a file put
into the bucket by any other means (a function, an operator) is rejected, not run.

Results are written beside the input under batch-output/: the same path after the prefix,
with `.output.jsonl`, `.errors.jsonl`, or (rejected) `.rejected.json` appended.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus

from switchboard.domain.batches import BatchOrder
from switchboard.errors import NotFoundError

INPUT_PREFIX = "batch-input/"
OUTPUT_PREFIX = "batch-output/"
UPLOAD_PREFIX = "upload_"
URL_SECONDS = 900  # how long a presigned upload may start (S3 refuses it after)
KEPT_SECONDS = 86_400  # how long a grant is kept (and readable) after it is made
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_ID = re.compile(r"upload_[0-9a-f]{24}")


class UploadStatus(StrEnum):
    PENDING = "pending"  # granted; the file has not arrived
    STARTED = "started"  # the file arrived and its batch started
    REJECTED = "rejected"  # the file arrived and was refused: `error` says why


@dataclass(frozen=True, slots=True)
class Upload:
    """A grant to put one batch file into the bucket for one user, and what became of it."""

    upload_id: str
    user_id: str
    key: str
    filename: str
    order: BatchOrder
    created_at: int  # epoch seconds
    url_expires_at: int  # the presigned POST's end
    expires_at: int  # the grant's end (TTL)
    granted_by: str  # the user who asked for it: the owner, or an admin acting for them
    status: UploadStatus = UploadStatus.PENDING
    batch_id: str | None = None
    error: dict[str, Any] | None = None

    @property
    def planned_batch_id(self) -> str:
        """The batch this upload starts: the same id however often S3 says it arrived."""
        return "batch_" + self.upload_id.removeprefix(UPLOAD_PREFIX)


@dataclass(frozen=True, slots=True)
class Arrival:
    """A key under batch-input/, read: whose prefix it names and which grant, if any."""

    key: str
    user_id: str | None
    upload_id: str | None

    @property
    def rejection_key(self) -> str:
        return result_key(self.key, "rejected")


def new_upload_id() -> str:
    return UPLOAD_PREFIX + secrets.token_hex(12)


def upload_key(user_id: str, upload_id: str, filename: str) -> str:
    """Where the granted file goes: its owner's prefix, the grant, a name safe in a key."""
    safe = _UNSAFE.sub("_", filename)[:128].lstrip(".") or "input.jsonl"
    return f"{INPUT_PREFIX}{user_id}/{upload_id}/{safe}"


def read_key(key: str) -> Arrival:
    """The user and grant an arriving key names (None where it names none)."""
    parts = key.removeprefix(INPUT_PREFIX).split("/") if key.startswith(INPUT_PREFIX) else []
    user_id = parts[0] if len(parts) >= 2 and parts[0] else None
    upload_id = parts[1] if len(parts) == 3 and _ID.fullmatch(parts[1]) else None
    return Arrival(key, user_id, upload_id)


def result_key(input_key: str, kind: str) -> str:
    """A result beside an input under batch-input/: output, errors, or rejected."""
    suffix = {"output": ".output.jsonl", "error": ".errors.jsonl", "rejected": ".rejected.json"}
    return OUTPUT_PREFIX + input_key.removeprefix(INPUT_PREFIX) + suffix[kind]


def rejection(code: str, message: str, key: str) -> dict[str, Any]:
    """The error object a refused file leaves beside it (OpenAI's envelope, and the key)."""
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code},
        "key": key,
    }


def not_found(upload_id: str) -> NotFoundError:
    return NotFoundError(
        f"No upload found with id '{upload_id}'.", param="upload_id", code="upload_not_found"
    )


def arrived_keys(notification: dict[str, Any]) -> list[str]:
    """The object keys an S3 event notification reports created (keys arrive URL-encoded,
    a space as '+'); none for S3's test event or any other event."""
    keys = []
    for record in notification.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        key = ((record.get("s3") or {}).get("object") or {}).get("key")
        if isinstance(key, str) and key:
            keys.append(unquote_plus(key))
    return keys
