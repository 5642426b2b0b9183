"""multipart/form-data as the SDKs send it: fields and files split exactly, bytes intact;
anything else a 400."""

from __future__ import annotations

import httpx
import pytest

from switchboard.api.multipart import _boundary, parse_form
from switchboard.errors import InvalidRequestError


def encoded(data: bytes, **fields: str) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST", "http://x/v1/files", data=fields, files={"file": ("in put.jsonl", data)}
    )
    return request.read(), request.headers["content-type"]


def test_fields_and_a_file_come_back_byte_for_byte() -> None:
    data = b'{"a": 1}\r\n{"b": "\xc3\xa9"}\n\r\n--not-the-boundary\n'
    body, content_type = encoded(data, purpose="batch")
    form = parse_form(body, _boundary(content_type))
    assert form.fields == {"purpose": "batch"}
    assert (form.files["file"].filename, form.files["file"].data) == ("in put.jsonl", data)


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data", "multipart/form-data; boundary=é"]
)
def test_a_body_that_is_not_a_form_is_a_400(content_type: str) -> None:
    with pytest.raises(InvalidRequestError):
        _boundary(content_type)


def test_a_truncated_form_is_a_400() -> None:
    body, content_type = encoded(b"{}", purpose="batch")
    with pytest.raises(InvalidRequestError, match="closing boundary"):
        parse_form(body[:-10], _boundary(content_type))
