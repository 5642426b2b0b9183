"""Reading request bodies: size limit, JSON, and pydantic validation mapped to 400s.

Every body is read here, and refused with 400 `invalid_json` before anything else happens
(no credit is held, nothing is stored) when it is larger than MAX_BODY_BYTES, not JSON,
nested more than MAX_JSON_DEPTH arrays and objects deep, or holds a lone surrogate escape
("\ud800" without its pair: JSON can spell it, but it is not Unicode text, so it could be
neither stored nor sent on). A validation failure names the offending field in `param` in
OpenAI's style (`messages[0].content`), never FastAPI's 422.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from switchboard.errors import InvalidRequestError, PayloadTooLargeError

Model = TypeVar("Model", bound=BaseModel)
MAX_JSON_DEPTH = 64  # arrays and objects inside one another, the body itself counting one
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # paired escapes decode to one code point


async def read_json(request: Request, max_bytes: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for piece in request.stream():
        body.extend(piece)
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
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
        raise _too_deep() from None
    check_json(data)
    return data


def check_json(data: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and lone surrogates, in one iterative pass
    (never recursive: the point is to survive what would overflow a recursive walk)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                raise _surrogate()
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    raise _surrogate()
                if isinstance(item, str | dict | list):
                    pending.append((item, depth + 1))


async def read_object(request: Request, max_bytes: int) -> dict[str, Any]:
    data = await read_json(request, max_bytes)
    if not isinstance(data, dict):
        raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
    return data


async def parse_body(request: Request, model: type[Model], max_bytes: int) -> Model:
    return validate(model, await read_object(request, max_bytes))


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> InvalidRequestError:
    """The most specific problem, worded for people, with the field path as `param`.

    A union (`content`: a string or a list of parts) reports one error per member; the
    deepest one is about what the caller meant to send.
    """
    first = max(exc.errors(include_url=False), key=lambda error: len(error["loc"]))
    loc = list(first["loc"])
    location = [
        part for i, part in enumerate(loc) if not _is_union_tag(part, loc[i - 1] if i else None)
    ]
    param = _param_path(location)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = f"Missing required parameter: '{param}'."
    elif first["type"] == "extra_forbidden":
        message = f"Unrecognized request argument supplied: {param}"
    elif param:
        message = f"Invalid value for '{param}': {_lower_first(message)}."
    return InvalidRequestError(message, param=param or None, code=_code(first["type"]))


# Discriminator values pydantic puts after a list index: message roles and content part types.
_TAGS = {"system", "developer", "user", "assistant", "tool"} | {
    "text",
    "image_url",
    "input_audio",
    "file",
    "refusal",
}
_PLAIN_TYPES = {"str", "int", "float", "bool", "none"}


def _is_union_tag(part: int | str, previous: int | str | None) -> bool:
    """pydantic puts the union member it tried into locations: `str`, `list[...]`,
    a class name, or a discriminator value right after a list index."""
    if not isinstance(part, str):
        return False
    if part in _TAGS:
        return isinstance(previous, int)
    return (
        part in _PLAIN_TYPES
        or "[" in part
        or part.startswith(("function-", "literal"))
        or part[:1].isupper()
    )


def _param_path(location: list[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _code(kind: str) -> str:
    if kind == "missing":
        return "missing_required_parameter"
    if kind == "extra_forbidden":
        return "unknown_parameter"
    return "invalid_value"


def _too_deep() -> InvalidRequestError:
    return InvalidRequestError(
        f"The request body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays "
        "and objects are accepted.",
        code="invalid_json",
    )


def _surrogate() -> InvalidRequestError:
    return InvalidRequestError(
        "The request body holds a lone surrogate escape (such as \\ud800) in a string: "
        "that is not valid Unicode text.",
        code="invalid_json",
    )


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The request body is larger than {max_bytes} bytes.")
