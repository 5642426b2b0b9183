"""Prompts as served (GET /prompts/{slug}), compiled locally by the platform's own template
rules, and the cache that keeps the last good version of each.

The cache, per (slug, version, tag, app):
    fresh (younger than `ttl`)    served from memory, no request
    stale                         served from memory at once while one refresh runs in the
                                  background (or, with background refresh off, refreshed
                                  first, and served stale only if the platform is unreachable)
    missing                       fetched; errors raise
"Unreachable" is no answer, a 429 or a 5xx (after the client's retries): the last good
version is served then. A 4xx on refresh (the prompt or tag is gone) drops the entry.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from switchboard_client._errors import (
    APIConnectionError,
    APIStatusError,
    InvalidRequestError,
    SwitchboardError,
)
from switchboard_client._models import CompiledPrompt, Json, PromptModel

_TOKEN = re.compile(r"\\\{\{|\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}|\{\{")


@dataclass(frozen=True)
class Prompt:
    slug: str
    version: int
    tag: str | None
    text: str
    system_text: str | None
    model: PromptModel | None
    warning: str | None = None
    raw: Json = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, raw: Json) -> Prompt:
        served = raw["prompt"]
        return cls(
            served["slug"],
            served["version"],
            served.get("tag"),
            served["text"],
            served.get("systemText"),
            PromptModel.parse(served.get("model")),
            raw.get("warning"),
            raw,
        )

    @property
    def variables(self) -> list[str]:
        """Each variable once, in order of first use (system text first)."""
        names = [
            m.group(1)
            for t in (self.system_text or "", self.text)
            for m in _TOKEN.finditer(t)
            if m.group(1)
        ]
        return list(dict.fromkeys(names))

    def compile(self, variables: dict[str, Any] | None = None) -> CompiledPrompt:
        """The messages (system, then user) as POST /prompts/{slug}/compile fills them, with no
        request: a missing variable raises InvalidRequestError (code missing_variable)."""
        values = variables or {}
        for name in self.variables:
            if name not in values:
                raise InvalidRequestError(
                    f"Missing variable '{name}' for prompt '{self.slug}' version {self.version}.",
                    param=f"variables.{name}",
                    code="missing_variable",
                    status=400,
                )
        texts = {name: _value_text(values[name], name) for name in self.variables}
        messages = [{"role": "user", "content": _render(self.text, texts)}]
        if self.system_text is not None:
            messages.insert(0, {"role": "system", "content": _render(self.system_text, texts)})
        unused = sorted(name for name in values if name not in texts)
        return CompiledPrompt(self.slug, self.version, self.tag, messages, self.model, unused)


def _render(text: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return "{{" if match.group(1) is None else values[match.group(1)]

    return _TOKEN.sub(fill, text)


def _value_text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise InvalidRequestError(
        f"The variable '{name}' must be a string, a number or a boolean.",
        param=f"variables.{name}",
        code="invalid_value",
        status=400,
    )


class PromptKey(NamedTuple):
    slug: str
    version: int | None
    tag: str | None
    app_id: str | None


class _Entry(NamedTuple):
    prompt: Prompt
    fetched_at: float


def unreachable(error: SwitchboardError) -> bool:
    """No answer, or one saying to ask later: the last good version may be served."""
    if isinstance(error, APIConnectionError):
        return True
    status = (error.status or 0) if isinstance(error, APIStatusError) else 0
    return status == 429 or status >= 500


class PromptCache:
    """The last good version of each prompt asked for, and when it was fetched. Thread-safe."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[PromptKey, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: PromptKey) -> tuple[Prompt | None, bool]:
        """The cached prompt (or None) and whether it is still fresh."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None, False
        return entry.prompt, self.clock() - entry.fetched_at < self.ttl

    def put(self, key: PromptKey, prompt: Prompt) -> None:
        with self._lock:
            self._entries[key] = _Entry(prompt, self.clock())

    def drop(self, key: PromptKey) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def settle(self, key: PromptKey, error: SwitchboardError) -> Prompt:
        """After a failed fetch: the last good version if the platform was unreachable; else
        the entry is dropped and the error raised."""
        cached, _ = self.get(key)
        if cached is not None and unreachable(error):
            return cached
        self.drop(key)
        raise error
