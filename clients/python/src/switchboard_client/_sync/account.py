"""Traces and scores, keys, apps and usage."""

from __future__ import annotations

from datetime import date, datetime

from switchboard_client import _calls as calls
from switchboard_client._config import day, drop_none, instant
from switchboard_client._core import SyncCore
from switchboard_client._models import (
    ApiKey,
    App,
    AppConfig,
    AppUsage,
    Json,
    Page,
    Score,
    Trace,
    UsageEntry,
    UsageTotals,
)
from switchboard_client._pages import collect_sync

Strings = list[str]
Instant = datetime | date | str


class Traces:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def list(
        self,
        *,
        limit: int = 20,
        after: str | None = None,
        start: Instant | None = None,
        end: Instant | None = None,
        model: str | None = None,
        app_id: str | None = None,
        key_id: str | None = None,
        status: str | None = None,
        prompt_slug: str | None = None,
        prompt_version: int | None = None,
        experiment_id: str | None = None,
        user_id: str | None = None,
    ) -> Page[Trace]:
        """Newest first, a page at a time (`after`: the last page's `next_cursor`); `start`
        and `end` bound when they began; `status` is success or error; `user_id` is for
        admins."""
        filters = drop_none(
            model=model,
            app_id=app_id,
            key_id=key_id,
            status=status,
            prompt_slug=prompt_slug,
            prompt_version=prompt_version,
            experiment_id=experiment_id,
            user_id=user_id,
        )
        call = calls.traces(limit, after, instant(start), instant(end), filters)
        return self._core.call(call)

    def get(self, trace_id: str) -> Trace:
        return self._core.call(calls.trace(trace_id))

    def score(
        self, trace_id: str, name: str, value: float | bool | str, *, comment: str | None = None
    ) -> Score:
        return self._core.call(calls.score(trace_id, name, value, comment))

    def stats(
        self, *, start: Instant | None = None, end: Instant | None = None, group_by: str = "day"
    ) -> Json:
        """Counts, errors, usage, cost and latency percentiles per day, model, app, prompt or
        experiment (the last 7 days unless `start` and `end` say)."""
        call = calls.stats(instant(start), instant(end), group_by)
        return self._core.call(call)


class Keys:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def create(
        self,
        name: str,
        *,
        scopes: Strings | None = None,
        expires_at: datetime | int | None = None,
        expires_in_days: int | None = None,
    ) -> ApiKey:
        """The new key; its secret (`key`) is shown this once. Scopes: `["*"]` (the
        default) or `["ai:gateway"]`; it never expires unless given a time or a number of
        days."""
        when = int(expires_at.timestamp()) if isinstance(expires_at, datetime) else expires_at
        expiry = drop_none(expires_at=when, expires_in_days=expires_in_days)
        return self._core.call(calls.create_key(name, scopes or ["*"], expiry))

    def list(self) -> list[ApiKey]:
        """All of them, page after page."""
        return collect_sync(lambda after: self._core.call(calls.list_keys(after)))

    def revoke(self, key_id: str) -> None:
        self._core.call(calls.revoke_key(key_id))


class Apps:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def create(self, name: str) -> App:
        return self._core.call(calls.create_app(name))

    def list(self) -> list[App]:
        """All of them, page after page."""
        return collect_sync(lambda after: self._core.call(calls.list_apps(after)))

    def get(self, app_id: str) -> App:
        return self._core.call(calls.app(app_id))

    def rename(self, app_id: str, name: str) -> App:
        return self._core.call(calls.rename_app(app_id, name))

    def delete(self, app_id: str) -> None:
        """Its routes stop answering; its usage stays readable by `usage`."""
        self._core.call(calls.delete_app(app_id))

    def config(self, app_id: str) -> AppConfig:
        return self._core.call(calls.app_config(app_id))

    def update_config(
        self,
        app_id: str,
        *,
        default_model: str | None = None,
        allowed_models: Strings | None = None,
        max_tokens_per_request: int | None = None,
    ) -> AppConfig:
        """Replaces the whole config (what is left out takes its default)."""
        config = drop_none(
            defaultModel=default_model,
            allowedModels=allowed_models,
            maxTokensPerRequest=max_tokens_per_request,
        )
        return self._core.call(calls.put_app_config(app_id, config))

    def usage(self, app_id: str, start_date: date | str, end_date: date | str) -> AppUsage:
        return self._core.call(calls.app_usage(app_id, day(start_date), day(end_date)))


class Usage:
    """What the caller's balance paid for: the ledger, and totals from the same counters
    as apps' usage."""

    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def entries(self, *, limit: int | None = None, after: str | None = None) -> Page[UsageEntry]:
        """The ledger, newest first; pass `next_cursor` back as `after`."""
        return self._core.call(calls.usage_entries(limit, after))

    def totals(
        self, start_date: date | str, end_date: date | str, *, group_by: str = "day"
    ) -> UsageTotals:
        """Totals over UTC days, both included, grouped by day, model or app."""
        return self._core.call(calls.usage_totals(day(start_date), day(end_date), group_by))
