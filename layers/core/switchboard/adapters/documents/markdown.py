"""Markdown is read as it is written: its headings, lists and emphasis marks are kept,
since they are part of what a reader (and a model) sees in the text."""

from __future__ import annotations

from switchboard.adapters.documents.plain import decode_text


def markdown_text(data: bytes, filename: str) -> str:
    return decode_text(data, filename)
