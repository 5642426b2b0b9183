"""Batch uploads: POST /v1/batches/uploads's body, and the upload object (ours: OpenAI has
none) that carries the presigned POST and, later, what became of the file. Times are unix
seconds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from switchboard.api.schemas.batches import Id, OrderFields
from switchboard.domain.files import MAX_FILE_BYTES
from switchboard.domain.uploads import Upload

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class CreateUploadRequest(OrderFields):
    filename: Name = "input.jsonl"
    completion_window: Id = "24h"
    user_id: Id | None = None  # an admin's upload for another user


def upload_view(upload: Upload, post: dict[str, Any] | None = None) -> dict[str, Any]:
    """The upload; with the presigned POST (`url`, `fields`) when it is made."""
    view: dict[str, Any] = {
        "id": upload.upload_id,
        "object": "batch.upload",
        "user_id": upload.user_id,
        "batch_id": upload.planned_batch_id,
        "key": upload.key,
        "filename": upload.filename,
        "endpoint": upload.order.endpoint.value,
        "metadata": upload.order.metadata,
        "status": upload.status.value,
        "error": upload.error,
        "max_bytes": MAX_FILE_BYTES,
        "created_at": upload.created_at,
        "url_expires_at": upload.url_expires_at,
        "expires_at": upload.expires_at,
    }
    if post is not None:
        view |= {"url": post["url"], "fields": post["fields"]}
    return view
