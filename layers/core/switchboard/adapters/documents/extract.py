"""`extract`: the text of an uploaded document, whichever of the supported formats it is.

The format is the file name's extension where it is one we know; else the content type;
else, for a name with no extension only, what the bytes look like (`%PDF-` first, an HTML
tag first, JSON that parses, text that decodes). Any other file (an image, an Office
document, an archive, `.csv` or source code under a content type we do not list) is refused
with 400 `unsupported_file` naming its type. A file that claims a format and is not that
format is refused as that format (a `.pdf` that pypdf cannot open: `invalid_file`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from switchboard.adapters.documents.html_page import html_page_text
from switchboard.adapters.documents.json_text import json_text
from switchboard.adapters.documents.markdown import markdown_text
from switchboard.adapters.documents.pdf import pdf_text
from switchboard.adapters.documents.plain import decode_text, is_text
from switchboard.errors import InvalidRequestError

Reader = Callable[[bytes, str], str]
READERS: dict[str, Reader] = {
    "pdf": pdf_text,
    "html": html_page_text,
    "markdown": markdown_text,
    "json": json_text,
    "text": decode_text,
}
EXTENSIONS = {
    ".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown",
    ".json": "json", ".txt": "text", ".text": "text",
}  # fmt: skip
CONTENT_TYPES = {
    "application/pdf": "pdf", "text/html": "html", "application/xhtml+xml": "html",
    "text/markdown": "markdown", "text/x-markdown": "markdown", "application/json": "json",
    "text/plain": "text",
}  # fmt: skip
SUPPORTED = tuple(EXTENSIONS)
_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)


def extract(data: bytes, filename: str, content_type: str | None = None) -> str:
    """The document's text; InvalidRequestError (`unsupported_file`) for a type we can't read."""
    return READERS[document_format(data, filename, content_type)](data, filename)


def document_format(data: bytes, filename: str, content_type: str | None = None) -> str:
    extension = PurePosixPath(filename.lower()).suffix
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in CONTENT_TYPES:
        return CONTENT_TYPES[media_type]
    sniffed = None if extension else _sniff(data)
    if sniffed is None:
        raise _unsupported(filename, extension, media_type)
    return sniffed


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if _HTML_START.match(data[:1024]):
        return "html"
    if not is_text(data):
        return None
    try:
        json.loads(data)
    except ValueError:
        return "text"
    return "json"


def _unsupported(filename: str, extension: str, media_type: str) -> InvalidRequestError:
    kind = extension or media_type or "binary data"
    names = ", ".join(SUPPORTED)
    return InvalidRequestError(
        f"Files of type '{kind}' ('{filename}') cannot be read for retrieval; supported: {names}.",
        param="file",
        code="unsupported_file",
    )
