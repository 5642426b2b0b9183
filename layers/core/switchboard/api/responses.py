"""JSON responses, rendered compactly (and fast) in one place."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")
