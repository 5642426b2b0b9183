"""Files (/v1/files): JSONL files of requests for batches, the output and error files that
batches write, and documents for retrieval (vector stores). Each file is one user's: nobody
else sees it, under any id.

A file's bytes are kept in the blob store (files/<user_id>/<file_id>.jsonl, a document's
under its own extension, or where an upload put them), its facts in an item: owner, size,
name, purpose, lines, content type, times. A file expires (its bytes are deleted by the
bucket's retention rule) DATA_RETENTION_DAYS after it was made; reads judge expiry themselves.

Uploads take purpose "batch" (at most MAX_FILE_BYTES and MAX_FILE_LINES lines, every line a
JSON object, blank lines ignored: the first line that is not is named in the 400), and
"assistants" and "user_data": documents the platform can read for retrieval (text,
Markdown, HTML, PDF, JSON; at most MAX_DOCUMENT_BYTES, 512 MB, as OpenAI allows), whose
type is checked at upload (400 naming a type it cannot read). Every upload through the API
is also bounded by the request body limit (MAX_BODY_BYTES: 6 MB on Lambda), which is lower
than both. "batch_output" files are made by batches.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath

from switchboard.errors import InvalidRequestError, NotFoundError

MAX_FILE_BYTES = 200 * 1024 * 1024  # 200 MB, as OpenAI's Batch API allows
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # 512 MB, as OpenAI's Files API allows
MAX_FILE_LINES = 50_000  # requests in one batch file, as OpenAI's Batch API allows
MAX_FILENAME_CHARS = 255
MAX_LIST_LIMIT = 10_000  # files in one page of GET /v1/files, as OpenAI allows
JSONL_TYPE = "application/jsonl"


class Purpose(StrEnum):
    BATCH = "batch"
    BATCH_OUTPUT = "batch_output"
    ASSISTANTS = "assistants"  # documents for vector stores, as OpenAI names them
    USER_DATA = "user_data"

    @property
    def document(self) -> bool:
        """A document for retrieval (a vector store's file), not a batch's JSONL."""
        return self in DOCUMENT_PURPOSES


DOCUMENT_PURPOSES = frozenset({Purpose.ASSISTANTS, Purpose.USER_DATA})
UPLOAD_PURPOSES = (Purpose.BATCH, Purpose.ASSISTANTS, Purpose.USER_DATA)


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    user_id: str
    filename: str
    purpose: Purpose
    bytes: int
    created_at: int  # epoch seconds
    expires_at: int  # epoch seconds: the bytes are gone after this
    key: str  # where the bytes are, in the blob store
    lines: int | None = None  # requests (non-blank lines), when counted
    content_type: str | None = None  # as uploaded (documents)

    def expired(self, now: int) -> bool:
        return now >= self.expires_at


def new_file_id() -> str:
    return "file-" + secrets.token_hex(12)


def output_file_id(batch_id: str, kind: str) -> str:
    """The id of a batch's output or error file: the same every time it is made, so that
    finalizing a batch twice writes the same file twice rather than two files."""
    return "file-" + hashlib.sha256(f"{batch_id}#{kind}".encode()).hexdigest()[:24]


def file_key(user_id: str, file_id: str, suffix: str = ".jsonl") -> str:
    return f"files/{user_id}/{file_id}{suffix}"


def document_key(user_id: str, file_id: str, filename: str) -> str:
    """Where a document's bytes go: under its own extension (letters and digits only)."""
    suffix = PurePosixPath(filename.lower()).suffix
    return file_key(user_id, file_id, suffix if suffix[1:].isalnum() else "")


def check_purpose(purpose: str | None) -> Purpose:
    allowed = [p.value for p in UPLOAD_PURPOSES]
    if purpose not in allowed:
        raise InvalidRequestError(
            f"Invalid purpose {purpose!r}: files can be uploaded for "
            + ", ".join(repr(p) for p in allowed)
            + ".",
            param="purpose",
            code="invalid_value",
        )
    return Purpose(purpose)


def check_filename(filename: str | None) -> str:
    """The name a file is listed under: its last path part, at most 255 characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    if not name or not name.isprintable():
        raise InvalidRequestError(
            "The file needs a name of printable characters.", param="file", code="invalid_value"
        )
    return name[:MAX_FILENAME_CHARS]


def check_size(size: int, purpose: Purpose = Purpose.BATCH) -> None:
    if size == 0:
        raise InvalidRequestError("The file is empty.", param="file", code="empty_file")
    limit, shown = (
        (MAX_DOCUMENT_BYTES, "512 MB") if purpose.document else (MAX_FILE_BYTES, "200 MB")
    )
    if size > limit:
        raise InvalidRequestError(
            f"The file is {size} bytes; at most {limit} bytes ({shown}) are accepted.",
            param="file",
            code="file_too_large",
        )


def count_jsonl(lines: Iterable[bytes]) -> int:
    """The requests in a JSONL file, checking that every non-blank line is a JSON object
    and that there are at most MAX_FILE_LINES; a 400 names the first line that is not."""
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not is_json_object(line):
            raise InvalidRequestError(
                f"Line {number} of the file is not a JSON object; each line of a batch file "
                "must be one request as a JSON object (JSONL).",
                param="file",
                code="invalid_jsonl",
            )
        count += 1
        if count > MAX_FILE_LINES:
            raise too_many_lines()
    if count == 0:
        raise InvalidRequestError("The file holds no requests.", param="file", code="empty_file")
    return count


def is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return False


def too_many_lines() -> InvalidRequestError:
    return InvalidRequestError(
        f"The file has more than {MAX_FILE_LINES} requests.", param="file", code="too_many_lines"
    )


def not_found(file_id: str) -> NotFoundError:
    return NotFoundError(f"No such File object: {file_id}", param="file_id", code="file_not_found")
