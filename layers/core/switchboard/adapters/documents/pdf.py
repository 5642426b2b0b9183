"""Text from a PDF, page by page, by pypdf (maintained, pure Python). Pages are separated by
a blank line. A PDF that pypdf cannot open, or that is encrypted with a password, is refused
with a 400 naming the file; a PDF of scanned images has no text layer and yields no text
(there is no OCR here).

pypdf is imported on first use, not with this module: it costs import time that a gateway
which never reads a PDF should not pay, and where Pillow is installed (the development
environment, for the video renderer) it loads Pillow too, which the gateway must not
(tests/unit/test_video_render.py)."""

from __future__ import annotations

import io

from switchboard.errors import InvalidRequestError

_MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError)  # a broken file's


def pdf_text(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _unreadable(filename, "it is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, DependencyError, *_MALFORMED) as error:
        raise _unreadable(filename, "it is damaged or not a PDF") from error
    return "\n\n".join(page.strip() for page in pages if page.strip())


def _unreadable(filename: str, why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The PDF '{filename}' cannot be read: {why}.", param="file", code="invalid_file"
    )
