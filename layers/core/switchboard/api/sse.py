"""Server-sent events in OpenAI's framing: `data: <json>` frames, then `data: [DONE]`.

The first chunk is pulled before the response starts, so an error that happens before any
output is an ordinary JSON error with its status. An error after that is sent as a last
`data:` frame holding the error envelope. A StreamComment is sent as a comment line
(`: text`), which clients skip: the tool loop's keep-alive while tools run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from starlette.responses import StreamingResponse

from switchboard.api.responses import dumps
from switchboard.domain.tools import StreamComment
from switchboard.errors import SwitchboardError, error_body

logger = logging.getLogger("switchboard.api")
DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def frame(body: Any) -> bytes:
    if isinstance(body, StreamComment):  # a comment line: clients skip it
        return b": " + body.text.replace("\n", " ").encode("utf-8") + b"\n\n"
    return b"data: " + dumps(body) + b"\n\n"


async def event_stream(events: AsyncGenerator[Any, None]) -> StreamingResponse:
    """Start streaming `events`; raises here (before any byte is sent) if the first fails."""
    first = await anext(events, None)
    return StreamingResponse(
        _frames(first, events),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


async def _frames(first: Any, rest: AsyncGenerator[Any, None]) -> AsyncGenerator[bytes, None]:
    async with aclosing(rest):
        try:
            if first is not None:
                yield frame(first)
                async for event in rest:
                    yield frame(event)
        except SwitchboardError as exc:
            yield frame(error_body(exc))
            return
        except Exception as exc:
            logger.exception("stream failed", exc_info=exc)
            yield frame(error_body(exc))
            return
    yield DONE
