"""multipart/form-data bodies (file uploads, as the OpenAI SDKs send them): read within a size
limit and split into fields and files, exactly as sent (binary-safe, no line-ending
changes). A body that is not multipart, or is malformed, is a 400 in OpenAI's envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from starlette.requests import Request

from switchboard.api.requests import read_bytes
from switchboard.errors import InvalidRequestError, PayloadTooLargeError


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str | None
    data: bytes
    content_type: str | None = None  # the part's own Content-Type, if it has one


@dataclass(frozen=True, slots=True)
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


async def read_form(request: Request, max_bytes: int) -> Form:
    """The form's text fields and files; 413 beyond `max_bytes`."""
    boundary = _boundary(request.headers.get("content-type", ""))
    body = await read_bytes(request, max_bytes, _too_large(max_bytes))
    return parse_form(body, boundary)


def parse_form(body: bytes, boundary: bytes) -> Form:
    """Split a multipart body on its boundary (RFC 7578): each part's headers, a blank
    line, its bytes up to the CRLF before the next delimiter."""
    delimiter = b"--" + boundary
    sections = body.split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise _malformed("it does not end with the closing boundary")
    form = Form()
    for section in sections[1:-1]:
        head, separator, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator or not data.endswith(b"\r\n"):
            raise _malformed("a part has no headers or no body")
        _add(form, head.decode("utf-8", "replace"), data[:-2])
    return form


def _add(form: Form, head: str, data: bytes) -> None:
    headers = Message()
    for line in head.split("\r\n"):
        header, _, value = line.partition(":")
        headers[header.strip()] = value.strip()
    field_name = headers.get_param("name", header="content-disposition")
    if not isinstance(field_name, str):
        raise _malformed("a part has no name")
    filename = headers.get_filename()
    if filename is not None or "filename" in head:
        form.files[field_name] = Upload(filename, data, headers.get("content-type"))
    else:
        form.fields[field_name] = data.decode("utf-8", "replace")


def _boundary(content_type: str) -> bytes:
    headers = Message()
    headers["content-type"] = content_type
    boundary = headers.get_param("boundary")
    if headers.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise InvalidRequestError(
            "Send the file as multipart/form-data (fields 'file' and 'purpose').",
            param="file",
            code="invalid_content_type",
        )
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        raise _malformed("its boundary is not ASCII") from None


def _malformed(why: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"The multipart body is malformed: {why}.", param="file", code="invalid_multipart"
    )


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The upload is larger than {max_bytes} bytes; larger batch files go through a "
        "presigned upload (POST /v1/batches/uploads)."
    )
