"""JSON responses, rendered compactly (and fast) in one place.

Text that came from an upstream may hold a lone surrogate (JSON can spell "\\ud800", UTF-8
cannot hold it). Such a body is repaired, not failed: each lone surrogate becomes U+FFFD,
the replacement character, as a UTF-8 decoder shows broken text. Requests never get this
far with one (api/requests.py refuses them), so only upstream text is ever repaired.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.responses import Response

logger = logging.getLogger("switchboard.api")


def dumps(body: Any) -> bytes:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        logger.warning("a response held lone surrogates; they were replaced with U+FFFD")
        return repair_text(text).encode("utf-8")


def repair_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (paired ones are rejoined)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")
