"""Files: OpenAI's file object, its list (a cursor page) and its deletion. Times are unix
seconds. Uploads are multipart forms (api/multipart.py), so there is no request model."""

from __future__ import annotations

from typing import Any

from switchboard.domain.files import StoredFile


def file_view(stored: StoredFile) -> dict[str, Any]:
    return {
        "id": stored.file_id,
        "object": "file",
        "bytes": stored.bytes,
        "created_at": stored.created_at,
        "expires_at": stored.expires_at,
        "filename": stored.filename,
        "purpose": stored.purpose.value,
        "status": "processed",
    }


def file_list_view(files: list[StoredFile], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [file_view(stored) for stored in files],
        "first_id": files[0].file_id if files else None,
        "last_id": files[-1].file_id if files else None,
        "has_more": has_more,
    }


def deleted_view(file_id: str) -> dict[str, Any]:
    return {"id": file_id, "object": "file", "deleted": True}
