"""DocumentExtractor: the DocumentReader port over this package's readers (extract.py)."""

from __future__ import annotations

from switchboard.adapters.documents.extract import document_format, extract


class DocumentExtractor:
    def format(self, data: bytes, filename: str, content_type: str | None = None) -> str:
        return document_format(data, filename, content_type)

    def text(self, data: bytes, filename: str, content_type: str | None = None) -> str:
        return extract(data, filename, content_type)
