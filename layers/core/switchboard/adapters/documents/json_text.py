"""JSON flattened to one `path: value` line per value, so each line says what its value is:

    {"city": {"name": "Oslo", "sights": ["Opera", "Vigeland"]}}

becomes

    city.name: Oslo
    city.sights[0]: Opera
    city.sights[1]: Vigeland

Strings are written as they are (no quotes), numbers, booleans and null as JSON writes them;
an empty object or list is written `{}` or `[]`. A document that is one scalar is that value.
JSON Lines are not JSON: a file that does not parse as one JSON value is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from switchboard.adapters.documents.plain import decode_text
from switchboard.errors import InvalidRequestError


def json_text(data: bytes, filename: str) -> str:
    try:
        value = json.loads(decode_text(data, filename))
    except json.JSONDecodeError as error:
        raise InvalidRequestError(
            f"The file '{filename}' is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg}).",
            param="file",
            code="invalid_file",
        ) from None
    return "\n".join(_lines(value, ""))


def _lines(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _lines(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _lines(item, f"{path}[{index}]")
    else:
        yield f"{path}: {_scalar(value)}" if path else _scalar(value)


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
