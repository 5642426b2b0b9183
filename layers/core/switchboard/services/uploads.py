"""Batch uploads (POST /v1/batches/uploads and files put under batch-input/) as use cases:
grant one, read one, and act on a file's arrival (domain/uploads.py says the rules).

    grant    (API)       a presigned POST for one key under the user's prefix, and its grant
    get      (API)       a grant and what became of it: pending, started (batch_id), rejected
    notified (S3 event)  each created file has arrived:
    arrived              start the file's batch, exactly once, or reject it beside itself

The batch an upload starts has a fixed id (its grant's), so the same arrival told twice,
or racing itself, starts one batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from switchboard.domain.batches import BatchOrder
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.files import MAX_FILE_BYTES, check_filename
from switchboard.domain.principals import Principal
from switchboard.domain.uploads import (
    INPUT_PREFIX,
    KEPT_SECONDS,
    URL_SECONDS,
    Arrival,
    Upload,
    UploadStatus,
    arrived_keys,
    new_upload_id,
    not_found,
    read_key,
    rejection,
    upload_key,
)
from switchboard.errors import InvalidRequestError, NotFoundError
from switchboard.ports import AccountRepository, BlobStore, UploadRepository
from switchboard.services.batches import BatchService
from switchboard.services.blocking import blocking

logger = logging.getLogger(__name__)

NO_GRANT = (
    "No upload grant names this file: a file under batch-input/ runs only when it was "
    "uploaded to the key that POST /v1/batches/uploads gave its owner."
)


class UploadService:
    def __init__(
        self,
        uploads: UploadRepository,
        blobs: BlobStore,
        accounts: AccountRepository,
        batches: BatchService,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._uploads = uploads
        self._blobs = blobs
        self._accounts = accounts
        self._batches = batches
        self._now = now

    async def grant(
        self, principal: Principal, order: BatchOrder, filename: str, user_id: str | None = None
    ) -> tuple[Upload, dict[str, object]]:
        """A grant to upload one batch file for `user_id` (the caller, unless an admin names
        another user), and the presigned POST ({url, fields}) that puts it in place."""
        owner = user_id or principal.user_id
        if owner != principal.user_id:
            principal.require_admin()
            if await blocking(self._accounts.get, owner) is None:
                raise NotFoundError(f"No user '{owner}'.", param="user_id", code="user_not_found")
        name = check_filename(filename)
        upload_id = new_upload_id()
        key = upload_key(owner, upload_id, name)
        now = epoch_seconds(self._now())
        upload = Upload(upload_id, owner, key, name, order, now, now + URL_SECONDS,
                        now + KEPT_SECONDS, principal.user_id)  # fmt: skip
        post = await blocking(
            lambda: self._blobs.upload_url(key, expires_in=URL_SECONDS, max_bytes=MAX_FILE_BYTES)
        )
        await blocking(self._uploads.create, upload)
        return upload, post

    async def get(self, principal: Principal, upload_id: str) -> Upload:
        """The grant, to its owner or the caller who asked for it (anyone else: 404)."""
        upload = (
            await blocking(self._uploads.get, upload_id)
            if upload_id.startswith("upload_")
            else None
        )
        if upload is None or principal.user_id not in (upload.user_id, upload.granted_by):
            raise not_found(upload_id)
        return upload

    async def notified(self, notification: dict[str, Any]) -> None:
        """An S3 event notification: each file it reports created has arrived."""
        for key in arrived_keys(notification):
            await self.arrived(key)

    async def arrived(self, key: str) -> None:
        """A file was put at `key`: start its batch if a pending grant of its prefix's user
        names it, else leave an error object beside it. Idempotent."""
        if not key.startswith(INPUT_PREFIX):
            return
        arrival = read_key(key)
        upload = await self._granted(arrival)
        if upload is None:
            return
        if upload.status is UploadStatus.REJECTED:
            return
        try:
            batch = await self._batches.start(
                upload.user_id, key, upload.order,
                filename=upload.filename, batch_id=upload.planned_batch_id,
            )  # fmt: skip
        except (InvalidRequestError, NotFoundError) as refused:
            await self._reject(arrival, refused.code or "invalid_file", refused.message, upload)
            return
        await blocking(
            lambda: self._uploads.settle(
                upload.upload_id, UploadStatus.STARTED, batch_id=batch.batch_id
            )
        )
        logger.info("batch upload started", extra={"key": key, "batch_id": batch.batch_id})

    async def _granted(self, arrival: Arrival) -> Upload | None:
        """The arrival's grant, if its prefix names a user and a grant of theirs names
        exactly this key; otherwise the file is rejected (None)."""
        user = await blocking(self._accounts.get, arrival.user_id) if arrival.user_id else None
        if user is None:
            message = "The file's prefix names no user: put it under batch-input/<user_id>/."
            await self._reject(arrival, "unknown_user", message, None)
            return None
        upload = await blocking(self._uploads.get, arrival.upload_id) if arrival.upload_id else None
        if upload is None or upload.user_id != user.user_id or upload.key != arrival.key:
            await self._reject(arrival, "no_upload_grant", NO_GRANT, None)
            return None
        return upload

    async def _reject(
        self, arrival: Arrival, code: str, message: str, upload: Upload | None
    ) -> None:
        refused = rejection(code, message, arrival.key)
        body = json.dumps(refused, indent=2).encode()
        await blocking(
            lambda: self._blobs.put(arrival.rejection_key, body, content_type="application/json")
        )
        if upload is not None:
            error = refused["error"]
            await blocking(
                lambda: self._uploads.settle(upload.upload_id, UploadStatus.REJECTED, error=error)
            )
        logger.warning("batch upload rejected", extra={"key": arrival.key, "code": code})
