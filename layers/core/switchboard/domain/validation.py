"""JSON bodies judged as data, wherever they come from (an HTTP request, a batch file's
line): nesting and text checks, and pydantic validation turned into OpenAI-style 400s.

    check_json(data)             refuse nesting deeper than MAX_JSON_DEPTH and lone surrogates
    validate(Model, data)        the model, or InvalidRequestError naming the field (`param`)

A lone surrogate escape ("\\ud800" without its pair) is JSON that is not Unicode text: it
could be neither stored nor sent on, so it is refused like malformed JSON.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from switchboard.errors import InvalidRequestError

Model = TypeVar("Model", bound=BaseModel)
MAX_JSON_DEPTH = 64  # arrays and objects inside one another, the body itself counting one
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # paired escapes decode to one code point


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
                raise too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    raise _surrogate()
                if isinstance(item, str | dict | list):
                    pending.append((item, depth + 1))


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


def invalid_value(message: str, param: str) -> InvalidRequestError:
    """A 400 `invalid_value` naming the parameter: the domain's one refusal of a bad value."""
    return InvalidRequestError(message, param=param, code="invalid_value")


def checked_text(raw: object, param: str, limit: int) -> str:
    """`raw` if it is a string of 1 to `limit` characters, else 400 naming `param`."""
    if not isinstance(raw, str) or not 0 < len(raw) <= limit:
        raise invalid_value(f"{param} must be a string of 1 to {limit} characters.", param)
    return raw


def too_deep() -> InvalidRequestError:
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
