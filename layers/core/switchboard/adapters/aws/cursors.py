"""List cursors: a page's last sort key, base64url without padding, handed back as `after`.

Each list judges a decoded cursor by its own rule (`accepts`); anything that is not base64,
not UTF-8, or not a key that list would give is 400 `invalid_cursor` naming `after`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from switchboard.errors import InvalidRequestError


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, accepts: Callable[[str], bool]) -> str:
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # not base64 (binascii.Error), not UTF-8 once decoded
        sort_key = ""
    if not sort_key or not accepts(sort_key):
        raise InvalidRequestError(
            "after is not a cursor this list gave.", param="after", code="invalid_cursor"
        )
    return sort_key
