"""Text extraction (adapters/documents/): each format from its fixture, and how `extract`
chooses a format or refuses one. Fixtures: tests/fixtures/documents/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from switchboard.adapters.documents import extract
from switchboard.adapters.documents.extract import document_format
from switchboard.errors import InvalidRequestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def refused(data: bytes, filename: str, content_type: str | None = None) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        extract(data, filename, content_type)
    assert caught.value.param == "file"
    return caught.value


def test_pdf_text_page_by_page() -> None:
    text = extract(fixture("tidal.pdf"), "tidal.pdf", "application/pdf")
    assert text == (
        "Tidal power stations\n"
        "Barrages hold water at high tide and release it through turbines.\n\n"
        "The second page\nLa Rance in France has run since 1966."
    )


def test_damaged_and_password_protected_pdfs_are_refused_by_name() -> None:
    error = refused(fixture("tidal.pdf")[:200], "cut.pdf")
    assert error.code == "invalid_file" and "'cut.pdf'" in error.message
    assert refused(b"hello", "fake.pdf").code == "invalid_file"
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    error = refused(locked.getvalue(), "locked.pdf")
    assert error.code == "invalid_file" and "password" in error.message


def test_html_keeps_headings_and_paragraphs_as_lines_and_drops_scripts_and_styles() -> None:
    text = extract(fixture("guide.html"), "guide.html")
    assert text.split("\n\n") == [
        "Growing tomatoes",
        "Tomatoes need six to eight hours of sun a day.",
        "Watering",
        "Water deeply at the base & keep the leaves dry.",
        "Mulch the soil",
        "Stake tall varieties",
    ]
    page = b"<html><head><title>Only the title</title></head><body><p>Body</p></body></html>"
    assert extract(page, "page.htm") == "Only the title\n\nBody"


def test_markdown_is_read_as_written() -> None:
    data = fixture("notes.md")
    assert extract(data, "notes.md") == data.decode("utf-8")


def test_json_is_flattened_to_path_value_lines() -> None:
    assert extract(fixture("city.json"), "city.json").splitlines() == [
        "city.name: Oslo",
        "city.population: 709037",
        "city.capital: true",
        "sights[0]: Opera House",
        "sights[1]: Vigeland Park",
        "ferries: []",
        "mayor: null",
    ]
    assert extract(b'"just a string"', "one.json") == "just a string"
    assert extract(b'[{"a": "\\u00e9t\\u00e9"}]', "list.json") == "[0].a: été"
    error = refused(b'{"open": ', "broken.json")
    assert error.code == "invalid_file" and "line 1" in error.message


@pytest.mark.parametrize(
    "data",
    [
        "Grüße, café\n".encode(),
        b"\xef\xbb\xbf" + "Grüße, café\n".encode(),
        "\ufeffGrüße, café\n".encode("utf-16-le"),
        "\ufeffGrüße, café\n".encode("utf-16-be"),
        "\ufeffGrüße, café\n".encode("utf-32-le"),
        "Grüße, café\r\n".encode("cp1252"),
    ],
)
def test_plain_text_in_each_encoding(data: bytes) -> None:
    assert extract(data, "notes.txt") == "Grüße, café\n"


def test_binary_is_refused_as_text() -> None:
    error = refused(b"\x00\x01\x02binary\x00" * 10, "data.txt")
    assert error.code == "unsupported_file" and "binary" in error.message
    assert refused(b"\xff\xfe\x00\xd8", "bad.txt").code == "unsupported_file"  # broken UTF-16


def test_unsupported_types_are_named() -> None:
    error = refused(b"\x89PNG\r\n\x1a\n....", "photo.png", "image/png")
    assert error.code == "unsupported_file" and "'.png'" in error.message
    assert "'.docx'" in refused(b"PK\x03\x04", "report.docx").message
    assert "'binary data'" in refused(b"\x89PNG\r\n\x1a\n\x00\x00", "upload").message


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "expected"),
    [
        (b"# Title", "README.MD", None, "markdown"),  # the extension first, any case
        (b"<p>hi</p>", "page.txt", "text/html", "text"),  # ... before the content type
        (b"a,b", "table.csv", "text/plain; charset=utf-8", "text"),  # a type we know
        (b"%PDF-1.4 ...", "upload", "application/octet-stream", "pdf"),  # sniffed
        (b"  <!DOCTYPE html><p>x</p>", "upload", None, "html"),
        (b'{"a": 1}', "upload", None, "json"),
        (b"plain words", "upload", None, "text"),
    ],
)
def test_the_format_is_chosen_by_extension_then_content_type_then_content(
    data: bytes, filename: str, content_type: str | None, expected: str
) -> None:
    assert document_format(data, filename, content_type) == expected
