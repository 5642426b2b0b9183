"""Files, uploads and the blob store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from switchboard.domain.files import StoredFile
    from switchboard.domain.uploads import Upload, UploadStatus


class FileRepository(Protocol):
    """The items that describe files (/v1/files); their bytes are in the BlobStore."""

    def put(self, stored: StoredFile, *, replace: bool = False) -> None:
        """A new file's item (ConflictError if the id is taken), or, with `replace`, a
        batch's output file made again."""
        ...

    def get(self, file_id: str) -> StoredFile | None: ...

    def delete(self, file_id: str) -> None: ...

    def list_for_user(
        self,
        user_id: str,
        *,
        after: StoredFile | None,
        limit: int,
        descending: bool,
        purpose: str | None,
        now: int,
    ) -> list[StoredFile]:
        """Up to `limit` unexpired files of a user, in creation order, after `after`."""
        ...


class UploadRepository(Protocol):
    """Grants to put a batch file into the bucket, each moved once from pending."""

    def create(self, upload: Upload) -> None: ...

    def get(self, upload_id: str) -> Upload | None: ...

    def settle(
        self,
        upload_id: str,
        status: UploadStatus,
        *,
        batch_id: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Move a pending grant to `status`; False if it was not pending."""
        ...


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    """Large bytes kept by key (S3): files, batch inputs and outputs, answers, videos."""

    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """NotFoundError if there is no such object."""
        ...

    def read(self, key: str, byte_range: tuple[int, int] | None) -> bytes: ...

    def size(self, key: str) -> int | None: ...

    def delete(self, key: str) -> None: ...

    def lines(self, key: str, *, start: int = 0) -> Iterator[bytes]:
        """The object's lines from byte `start`, read a range at a time."""
        ...

    def writer(self, key: str, *, content_type: str) -> BlobWriter:
        """An object written in parts, as large as it needs to be."""
        ...

    def download_url(
        self, key: str, *, expires_in: int, filename: str | None = None, content_type: str = ""
    ) -> str:
        """A short-lived URL that serves the bytes without passing them through us."""
        ...

    def upload_url(self, key: str, *, expires_in: int, max_bytes: int) -> dict[str, Any]:
        """A short-lived presigned POST ({url, fields}) for exactly this key."""
        ...
