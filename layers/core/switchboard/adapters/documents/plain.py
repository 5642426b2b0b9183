"""Plain text: its encoding found from a byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-8,
else Windows-1252 (which reads Latin-1 too); bytes that are none of these, or that hold NUL
or other control characters beyond a trace, are binary and refused."""

from __future__ import annotations

import codecs

from switchboard.errors import InvalidRequestError

_BOMS = (  # longest first: a UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
MAX_CONTROL_SHARE = 0.01  # a stray form feed or escape in a real text file is fine


def decode_text(data: bytes, filename: str) -> str:
    text = _decode(data)
    if text is None or _looks_binary(text):
        raise InvalidRequestError(
            f"The file '{filename}' is binary, not text: it cannot be read.",
            param="file",
            code="unsupported_file",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_text(data: bytes) -> bool:
    text = _decode(data)
    return text is not None and not _looks_binary(text)


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                return None
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for char in text if char < " " and char not in _ALLOWED_CONTROLS)
    return controls > MAX_CONTROL_SHARE * max(len(text), 1)
