"""Text from a PDF, page by page, by pypdf (maintained, pure Python). Pages are separated by
a blank line. A PDF that pypdf cannot open, or that is encrypted with a password, is refused
with a 400 naming the file; a PDF of scanned images has no text layer and yields no text
(there is no OCR here)."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from switchboard.errors import InvalidRequestError

_FAILURES = (PyPdfError, DependencyError, ValueError, KeyError, TypeError, AttributeError)


def pdf_text(data: bytes, filename: str) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _unreadable(filename, "it is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except _FAILURES as error:  # pypdf's own, and what a malformed file makes it raise
        raise _unreadable(filename, "it is damaged or not a PDF") from error
    return "\n\n".join(page.strip() for page in pages if page.strip())


def _unreadable(filename: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The PDF '{filename}' cannot be read: {why}.", param="file", code="invalid_file"
    )
