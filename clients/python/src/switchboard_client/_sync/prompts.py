"""Prompts, served from the cache (see _prompts.py for its rules)."""

from __future__ import annotations

import threading
from typing import Any

from switchboard_client import _calls as calls
from switchboard_client._config import drop_none
from switchboard_client._core import SyncCore
from switchboard_client._errors import SwitchboardError
from switchboard_client._models import (
    CompiledPrompt,
    Json,
)
from switchboard_client._prompts import Prompt, PromptCache, PromptKey


class Prompts:
    def __init__(self, core: SyncCore, cache: PromptCache, background: bool) -> None:
        self._core, self.cache, self._background = core, cache, background
        self._refreshing: dict[PromptKey, threading.Thread] = {}
        self._lock = threading.Lock()

    def get(
        self,
        slug: str,
        *,
        version: int | None = None,
        tag: str | None = None,
        app_id: str | None = None,
        cache: bool = True,
    ) -> Prompt:
        """The prompt as served (neither version nor tag: production, else latest), from the
        cache while fresh; stale: served at once and refreshed in the background."""
        key = PromptKey(slug, version, tag, app_id)
        cached, fresh = self.cache.get(key) if cache else (None, False)
        if cached is not None and fresh:
            return cached
        if cached is not None and self._background:
            self._refresh_later(key)
            return cached
        return self._fetch(key)

    def compile(
        self,
        slug: str,
        variables: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        tag: str | None = None,
        app_id: str | None = None,
    ) -> CompiledPrompt:
        """Compiled by the platform. `get(...).compile(variables)` does it locally."""
        call = calls.compile_prompt(slug, variables or {}, version, tag, app_id)
        return self._core.call(call)

    def create(
        self,
        slug: str,
        *,
        name: str | None = None,
        description: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        fields = drop_none(name=name, description=description)
        return self._core.call(calls.create_prompt(slug, fields, app_id))

    def create_version(
        self,
        slug: str,
        text: str,
        *,
        system_text: str | None = None,
        model: str | None = None,
        parameters: Json | None = None,
        tag: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        block = drop_none(model=model, parameters=parameters) if model else None
        fields = drop_none(text=text, systemText=system_text, model=block, tag=tag)
        return self._core.call(calls.create_version(slug, fields, app_id))

    def move_tag(self, slug: str, tag: str, version: int, *, app_id: str | None = None) -> Json:
        return self._core.call(calls.move_tag(slug, tag, version, app_id))

    def describe(self, slug: str, *, app_id: str | None = None) -> Json:
        return self._core.call(calls.describe_prompt(slug, app_id))

    def join_refreshes(self, timeout: float | None = None) -> None:
        """Waits for the background refreshes under way."""
        with self._lock:
            threads = list(self._refreshing.values())
        for thread in threads:
            thread.join(timeout)

    def _fetch(self, key: PromptKey) -> Prompt:
        try:
            prompt = self._core.call(calls.prompt(*key))
        except SwitchboardError as error:
            return self.cache.settle(key, error)
        self.cache.put(key, prompt)
        return prompt

    def _refresh_later(self, key: PromptKey) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            thread = threading.Thread(target=self._refresh, args=(key,), daemon=True)
            self._refreshing[key] = thread
        thread.start()

    def _refresh(self, key: PromptKey) -> None:
        try:
            self._fetch(key)
        except SwitchboardError:
            pass  # dropped from the cache: the next get asks again, and raises
        finally:
            with self._lock:
                self._refreshing.pop(key, None)
