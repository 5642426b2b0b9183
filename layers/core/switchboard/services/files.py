"""Files (/v1/files) as use cases: upload a batch file (checked line by line before it is
kept) or a document for retrieval (its type checked: one the platform can read), read one's
facts or bytes, list and delete one's own; and, for batches, register
an object already in the bucket and record the output files they make.

A file is its owner's alone: any other caller, an admin too, is told there is no such file.
Bytes up to INLINE_CONTENT_BYTES are served by the function; larger ones through a
short-lived presigned URL that the API answers with as a redirect (Lambda's response limit
is 6 MB), which the official SDKs follow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.files import (
    JSONL_TYPE,
    Purpose,
    StoredFile,
    check_filename,
    check_purpose,
    check_size,
    count_jsonl,
    document_key,
    file_key,
    new_file_id,
    not_found,
)
from switchboard.domain.principals import Principal
from switchboard.ports import BlobStore, DocumentReader, FileRepository
from switchboard.services.blocking import blocking

_BINARY = "application/octet-stream"
INLINE_CONTENT_BYTES = 4_000_000  # larger contents are a redirect to the blob store
DOWNLOAD_URL_SECONDS = 300


class FileService:
    def __init__(
        self,
        files: FileRepository,
        blobs: BlobStore,
        documents: DocumentReader,
        *,
        retention_seconds: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._files = files
        self._blobs = blobs
        self._documents = documents
        self.retention_seconds = retention_seconds
        self._now = now

    async def upload(
        self,
        principal: Principal,
        *,
        purpose: str | None,
        filename: str | None,
        data: bytes,
        content_type: str | None = None,
    ) -> StoredFile:
        """Check and keep an uploaded file: its bytes, then its item. A batch file's lines
        are checked; a document's type must be one the platform can read (400 naming it)."""
        kind = check_purpose(purpose)
        name = check_filename(filename)
        check_size(len(data), kind)
        now, file_id, user_id = epoch_seconds(self._now()), new_file_id(), principal.user_id
        if kind.document:
            await blocking(self._documents.format, data, name, content_type)
            key, lines = document_key(user_id, file_id, name), None
        else:
            lines = await blocking(count_jsonl, data.split(b"\n"))
            key = file_key(user_id, file_id)
        stored = StoredFile(file_id, user_id, name, kind, len(data), now,
                            now + self.retention_seconds, key, lines, content_type)  # fmt: skip
        await blocking(lambda: self._blobs.put(key, data, content_type=media_type(stored)))
        try:
            await blocking(self._files.put, stored)
        except BaseException:
            await blocking(self._blobs.delete, key)
            raise
        return stored

    async def get(self, principal: Principal, file_id: str) -> StoredFile:
        return await blocking(self.owned, principal.user_id, file_id)

    def owned(self, user_id: str, file_id: str) -> StoredFile:
        """The file, if it is this user's and has not expired (else 404). Blocking."""
        stored = self._files.get(file_id) if file_id.startswith("file-") else None
        if stored is None or stored.user_id != user_id or stored.expired(self._epoch()):
            raise not_found(file_id)
        return stored

    async def list(
        self,
        principal: Principal,
        *,
        after: str | None,
        limit: int,
        descending: bool,
        purpose: str | None,
    ) -> tuple[list[StoredFile], bool]:
        """A page of the caller's files, and whether more follow."""
        cursor = await self.get(principal, after) if after else None
        found = await blocking(
            lambda: self._files.list_for_user(
                principal.user_id, after=cursor, limit=limit + 1, descending=descending,
                purpose=purpose, now=self._epoch(),
            )
        )  # fmt: skip
        return found[:limit], len(found) > limit

    async def content(self, principal: Principal, file_id: str) -> tuple[bytes | str, str]:
        """The file's bytes, or a URL that serves them when they are too many to answer;
        and their media type."""
        stored = await self.get(principal, file_id)
        media = media_type(stored)
        if stored.bytes > INLINE_CONTENT_BYTES:
            url = await blocking(
                lambda: self._blobs.download_url(
                    stored.key, expires_in=DOWNLOAD_URL_SECONDS, filename=stored.filename,
                    content_type=media,
                )
            )  # fmt: skip
            return url, media
        return await blocking(self._blobs.get, stored.key), media

    async def delete(self, principal: Principal, file_id: str) -> None:
        stored = await self.get(principal, file_id)
        await blocking(self._blobs.delete, stored.key)
        await blocking(self._files.delete, file_id)

    def register(
        self, user_id: str, key: str, *, filename: str, file_id: str | None = None
    ) -> StoredFile:
        """A batch file already in the blob store (put there by a presigned upload) as a
        file of this user's; its lines are counted by the batch that reads it. A given
        `file_id` is registered again as the same file (an arrival told twice). Blocking."""
        size = self._blobs.size(key)
        if size is None:
            raise not_found(key)
        check_size(size)
        now = self._epoch()
        name, expires = check_filename(filename), now + self.retention_seconds
        stored = StoredFile(file_id or new_file_id(), user_id, name, Purpose.BATCH, size, now,
                            expires, key)  # fmt: skip
        self._files.put(stored, replace=file_id is not None)
        return stored

    def record_output(
        self, user_id: str, file_id: str, *, key: str, filename: str, size: int, lines: int,
        expires_at: int,
    ) -> StoredFile:  # fmt: skip
        """A batch's output or error file, written to `key` (made again if the batch is
        finalized again). Blocking."""
        stored = StoredFile(file_id, user_id, filename, Purpose.BATCH_OUTPUT, size,
                            self._epoch(), expires_at, key, lines)  # fmt: skip
        self._files.put(stored, replace=True)
        return stored

    def _epoch(self) -> int:
        return epoch_seconds(self._now())


def media_type(stored: StoredFile) -> str:
    if stored.purpose.document:
        return stored.content_type or _BINARY
    return JSONL_TYPE
