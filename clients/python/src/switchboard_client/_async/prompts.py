"""Prompts, served from the cache (see _prompts.py for its rules)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from switchboard_client import _calls as calls
from switchboard_client._config import drop_none
from switchboard_client._core import AsyncCore
from switchboard_client._errors import SwitchboardError
from switchboard_client._models import (
    CompiledPrompt,
    Json,
)
from switchboard_client._prompts import Prompt, PromptCache, PromptKey


class Prompts:
    def __init__(self, core: AsyncCore, cache: PromptCache, background: bool) -> None:
        self._core, self.cache, self._background = core, cache, background
        self._refreshing: dict[PromptKey, asyncio.Task[None]] = {}

    async def get(
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
        return await self._fetch(key)

    async def compile(
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
        return await self._core.call(call)

    async def create(
        self,
        slug: str,
        *,
        name: str | None = None,
        description: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        fields = drop_none(name=name, description=description)
        return await self._core.call(calls.create_prompt(slug, fields, app_id))

    async def create_version(
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
        return await self._core.call(calls.create_version(slug, fields, app_id))

    async def move_tag(
        self, slug: str, tag: str, version: int, *, app_id: str | None = None
    ) -> Json:
        return await self._core.call(calls.move_tag(slug, tag, version, app_id))

    async def describe(self, slug: str, *, app_id: str | None = None) -> Json:
        return await self._core.call(calls.describe_prompt(slug, app_id))

    async def join_refreshes(self) -> None:
        """Waits for the background refreshes under way."""
        await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    async def _fetch(self, key: PromptKey) -> Prompt:
        try:
            prompt = await self._core.call(calls.prompt(*key))
        except SwitchboardError as error:
            return self.cache.settle(key, error)
        self.cache.put(key, prompt)
        return prompt

    def _refresh_later(self, key: PromptKey) -> None:
        if key not in self._refreshing:
            task = asyncio.get_running_loop().create_task(self._refresh(key))
            self._refreshing[key] = task
            task.add_done_callback(lambda _: self._refreshing.pop(key, None))

    async def _refresh(self, key: PromptKey) -> None:
        with contextlib.suppress(SwitchboardError):  # dropped: the next get asks again
            await self._fetch(key)
