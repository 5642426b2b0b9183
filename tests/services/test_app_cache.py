"""Apps are cached per container: app-scoped inference costs no read, a config replaced
here applies here at once, and on another container within the cache's bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.principals import Principal
from switchboard.services.apps import AppService
from tests.support.clock import Clock


def test_apps_are_read_once_per_bound(
    services: Container, new_user: Callable[..., User], get_item_calls: list[Any]
) -> None:
    user = new_user()
    owner = Principal(user.user_id, "key", ("*",), "user", "maker")
    here_clock, there_clock = Clock(), Clock()
    here = AppService(services.app_repo, services.catalog, cache_seconds=30, clock=here_clock)
    there = AppService(services.app_repo, services.catalog, cache_seconds=30, clock=there_clock)
    app = here.create(owner, "cached")
    before = len(get_item_calls)
    assert there.get_for(owner, app.app_id).config.max_tokens_per_request is None
    assert there.get_for(owner, app.app_id) is not None
    assert len(get_item_calls) == before + 1  # the second lookup came from the cache
    here.put_config(owner, app.app_id, {"maxTokensPerRequest": 7})
    assert here.get_for(owner, app.app_id).config.max_tokens_per_request == 7  # at once here
    assert there.get_for(owner, app.app_id).config.max_tokens_per_request is None
    there_clock.now += 31
    assert there.get_for(owner, app.app_id).config.max_tokens_per_request == 7
