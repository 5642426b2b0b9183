"""Prompt templates: text with `{{variable}}` placeholders, parsed once and filled later.

The rules (README "Prompts"):

    {{name}}  {{ name }}      a placeholder: spaces or tabs may pad the name inside the braces
    names                     a letter or `_`, then letters, digits or `_` (case-sensitive)
    \\{{                       a literal `{{` (the backslash is dropped); nothing else is escaped
    any other `{{`            an error when the version is created (400 naming the field and
                              the offset), so a typo never reaches a model as literal text

A value is a string (used as is), a number or a boolean (written as JSON writes it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from switchboard.domain.validation import invalid_value
from switchboard.errors import InvalidRequestError

MAX_TEMPLATE_CHARS = 200_000
_TOKEN = re.compile(r"\\\{\{|\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}|\{\{")


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str


Part = str | Placeholder


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[Part, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        """Each variable once, in order of first use."""
        names = (part.name for part in self.parts if isinstance(part, Placeholder))
        return tuple(dict.fromkeys(names))

    def render(self, values: dict[str, str]) -> str:
        """The text with every placeholder filled; every variable must be in `values`."""
        return "".join(
            values[part.name] if isinstance(part, Placeholder) else part for part in self.parts
        )


def parse_template(text: str, param: str) -> Template:
    """The template in `text`; InvalidRequestError (param: the field) if it is malformed."""
    parts: list[Part] = []
    start = 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token == "{{":
            raise InvalidRequestError(
                f"{param} has '{{{{' at offset {match.start()} that opens no placeholder: "
                "write {{name}} for a variable or \\{{ for literal braces.",
                param=param,
                code="invalid_template",
            )
        _append(parts, text[start : match.start()])
        if match.group(1) is None:
            _append(parts, "{{")  # the escape \{{
        else:
            parts.append(Placeholder(match.group(1)))
        start = match.end()
    _append(parts, text[start:])
    return Template(tuple(parts))


def value_text(value: object, name: str) -> str:
    """A variable's value as template text: strings as they are, numbers and booleans as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise invalid_value(
        f"The variable '{name}' must be a string, a number or a boolean.",
        f"variables.{name}",
    )


def _append(parts: list[Part], text: str) -> None:
    """Adjacent literal text is kept as one part."""
    if not text:
        return
    if parts and isinstance(parts[-1], str):
        parts[-1] += text
    else:
        parts.append(text)
