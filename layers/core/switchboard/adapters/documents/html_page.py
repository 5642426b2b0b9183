"""An HTML page as text, by the standard library's parser (domain/html_text.py): scripts,
styles and other invisible elements dropped, headings, paragraphs, list items and table cells
each on lines of their own, the page's title first."""

from __future__ import annotations

from switchboard.adapters.documents.plain import decode_text
from switchboard.domain.html_text import html_text


def html_page_text(data: bytes, filename: str) -> str:
    title, text = html_text(decode_text(data, filename))
    if title and not text.lower().startswith(title.lower()):
        return f"{title}\n\n{text}" if text else title
    return text
