"""App use cases: create and list apps, read and replace their config, report their usage.

Only an app's owner, or an admin, reaches an app: anyone else is told it does not exist
(404 app_not_found), exactly as for an unknown id. A deleted app is gone for everything but
its usage, which its owner can still read. Every method is blocking (boto3): routes
run them with `anyio.to_thread.run_sync`.

Apps are cached per container for `cache_seconds` (KEY_CACHE_SECONDS), so that app-scoped
inference costs no extra read: a config replaced on this container applies here at once,
on other containers (in AWS, the Inference function's) within that bound.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from switchboard.domain.accounts import MAX_ID_LENGTH, LimitReached, UserDisabled
from switchboard.domain.apps import (
    App,
    AppConfig,
    UsageRow,
    app_not_found,
    check_name,
    check_range,
    new_app_id,
    parse_config,
    parse_day,
)
from switchboard.domain.catalog import Catalog
from switchboard.domain.clock import utcnow
from switchboard.domain.money import format_usd
from switchboard.domain.principals import Principal
from switchboard.errors import ConflictError, InvalidRequestError
from switchboard.ports import AppRepository
from switchboard.services.memo import Memo


class AppService:
    def __init__(
        self,
        app_repo: AppRepository,
        catalog: Catalog,
        *,
        cache_seconds: float = 0.0,
        now: Callable[[], datetime] = utcnow,
        clock: Callable[[], float] = time.monotonic,
        max_apps: int = 20,
    ) -> None:
        self._apps = app_repo
        self._catalog = catalog
        self._now = now
        self._cache: Memo[App] = Memo(cache_seconds, clock=clock)
        self.max_apps = max_apps

    def create(self, principal: Principal, name: object) -> App:
        """A new app of the caller's, counted against MaxAppsPerUser in the same write."""
        app = App(new_app_id(), check_name(name), principal.user_id, self._now())
        try:
            self._apps.create_counted(app, self.max_apps)
        except LimitReached as full:
            raise ConflictError(
                f"You have {full.count} apps, the most a user may own ({self.max_apps}); "
                "delete one first.",
                code="app_limit_reached",
            ) from None
        except UserDisabled:
            raise ConflictError("This account is disabled.", code="user_disabled") from None
        return app

    def rename(self, principal: Principal, app_id: str, name: object) -> App:
        app = self.get_for(principal, app_id)
        renamed = replace(app, name=check_name(name))
        self._apps.rename(app.app_id, renamed.name)
        self._cache.put(app.app_id, renamed)
        return renamed

    def delete(self, principal: Principal, app_id: str) -> App:
        """Delete an app: its routes answer 404 (here at once, on other containers within
        KEY_CACHE_SECONDS); its usage stays readable by its owner."""
        app = self.get_for(principal, app_id)
        self._apps.delete(app, self._now())
        self._cache.forget(app.app_id)
        return app

    def page(
        self, principal: Principal, *, after: str | None, limit: int
    ) -> tuple[list[App], str | None]:
        return self._apps.page_for_owner(principal.user_id, after=after, limit=limit)

    def ensure(self, app_id: str, owner_id: str, name: str) -> App:
        """The app with this id, made if absent (idempotent: fixed ids for the events that
        `switchboard invoke` feeds to handlers)."""
        with contextlib.suppress(ConflictError):
            self._apps.create(App(app_id, check_name(name), owner_id, self._now()))
        app = self._apps.get(app_id)
        if app is None:  # pragma: no cover (just created or found)
            raise app_not_found(app_id)
        return app

    def get_for(self, principal: Principal, app_id: str, *, deleted: bool = False) -> App:
        """The app, if this principal owns it or is an admin; else 404 app_not_found (a
        deleted app too, unless `deleted`: its usage history)."""
        known = app_id.startswith("app_") and len(app_id) <= MAX_ID_LENGTH
        app = self._cached(app_id) if known else None
        if app is None or not (principal.is_admin or app.owner_id == principal.user_id):
            raise app_not_found(app_id)
        if app.deleted_at is not None and not deleted:
            raise app_not_found(app_id)
        return app

    def config(self, principal: Principal, app_id: str) -> AppConfig:
        return self.get_for(principal, app_id).config.effective(self._catalog)

    def put_config(self, principal: Principal, app_id: str, body: dict[str, Any]) -> AppConfig:
        """Replace the whole config. The body may echo the GET's app_id, if it is this one."""
        app = self.get_for(principal, app_id)
        fields = dict(body)
        echoed = fields.pop("app_id", app.app_id)
        if echoed != app.app_id:
            raise InvalidRequestError(
                "app_id in the body does not match the path.", param="app_id", code="invalid_value"
            )
        config = parse_config(fields, self._catalog)
        self._apps.put_config(app.app_id, config)
        self._cache.put(app.app_id, replace(app, config=config))
        return config

    def _cached(self, app_id: str) -> App | None:
        app = self._cache.get(app_id)
        if app is None:
            app = self._apps.get(app_id)
            if app is not None:
                self._cache.put(app_id, app)
        return app

    def usage(
        self, principal: Principal, app_id: str, start_raw: str | None, end_raw: str | None
    ) -> dict[str, Any]:
        """Tokens, cost and requests per model over UTC days start to end, both included
        (a deleted app's too: its history is kept)."""
        app = self.get_for(principal, app_id, deleted=True)
        start, end = parse_day(start_raw, "startDate"), parse_day(end_raw, "endDate")
        check_range(start, end)
        rows = self._apps.usage(app.app_id, start, end)
        return {
            "app_id": app.app_id,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "totalTokens": sum(row.tokens for row in rows),
            "totalCost": format_usd(sum(row.cost_micro_usd for row in rows)),
            "byModel": _by_model(rows),
        }


def _by_model(rows: list[UsageRow]) -> dict[str, dict[str, Any]]:
    totals: dict[str, list[int]] = {}
    for row in rows:
        tokens, cost, requests = totals.setdefault(row.model, [0, 0, 0])
        totals[row.model] = [
            tokens + row.tokens,
            cost + row.cost_micro_usd,
            requests + row.requests,
        ]
    return {
        model: {"tokens": tokens, "cost": format_usd(cost), "requests": requests}
        for model, (tokens, cost, requests) in sorted(totals.items())
    }
