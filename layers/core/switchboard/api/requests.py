"""Reading request bodies: size limit, JSON, and pydantic validation mapped to 400s.

Every body is read here, and refused with 400 `invalid_json` before anything else happens
(no credit is held, nothing is stored) when it is larger than MAX_BODY_BYTES, not JSON,
nested more than MAX_JSON_DEPTH arrays and objects deep, or holds a lone surrogate escape
("\ud800" without its pair: JSON can spell it, but it is not Unicode text, so it could be
neither stored nor sent on). A validation failure names the offending field in `param` in
OpenAI's style (`messages[0].content`), never FastAPI's 422. The checks and the validation
are the domain's (domain/validation.py): a batch file's lines are judged by the same rules.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from switchboard.domain.validation import (
    MAX_JSON_DEPTH,
    Model,
    check_json,
    too_deep,
    validate,
    validation_error,
)
from switchboard.errors import InvalidRequestError, PayloadTooLargeError

__all__ = [
    "MAX_JSON_DEPTH",
    "check_json",
    "parse_body",
    "read_json",
    "read_object",
    "validate",
    "validation_error",
]


async def read_bytes(
    request: Request, max_bytes: int, too_large: PayloadTooLargeError | None = None
) -> bytes:
    """The whole body, refused (413, `too_large` if given) as soon as it passes `max_bytes`,
    by its declared length or as it streams in."""
    refusal = too_large or PayloadTooLargeError(
        f"The request body is larger than {max_bytes} bytes."
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise refusal
    body = bytearray()
    async for piece in request.stream():
        body.extend(piece)
        if len(body) > max_bytes:
            raise refusal
    return bytes(body)


async def read_json(request: Request, max_bytes: int) -> Any:
    body = await read_bytes(request, max_bytes)
    if not body.strip():
        raise InvalidRequestError(
            "The request body is empty; send a JSON object.", code="invalid_json"
        )
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestError(
            f"The request body is not valid JSON: {exc}.", code="invalid_json"
        ) from None
    except RecursionError:  # deeper than the parser's own stack allows
        raise too_deep() from None
    check_json(data)
    return data


async def read_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """A JSON object; on a traced (metered) route, without its `trace` field, which goes to
    the request's trace (domain/traces.take_trace_options)."""
    data = await read_json(request, max_bytes)
    if not isinstance(data, dict):
        raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
    trace = getattr(request.state, "trace", None)
    if trace is not None and "trace" in data:
        from switchboard.domain.traces import take_trace_options

        return take_trace_options(data, trace)
    return data


async def parse_body(request: Request, model: type[Model], max_bytes: int) -> Model:
    return validate(model, await read_object(request, max_bytes))
