"""Apps and their usage counters on DynamoDB (moto's server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from switchboard.adapters.aws.apps import DynamoAppRepository
from switchboard.bootstrap import Container
from switchboard.domain.apps import App, AppConfig, UsageRow, new_app_id
from switchboard.domain.clock import utcnow
from switchboard.errors import ConflictError, NotFoundError


@pytest.fixture
def store(services: Container) -> DynamoAppRepository:
    return services.app_repo


@pytest.fixture
def small_pages(services: Container) -> Iterator[list[dict[str, Any]]]:
    """Queries limited to two items a page, so every result spans pages; records the calls."""
    calls: list[dict[str, Any]] = []
    client = services.client("dynamodb")

    def limit(params: dict[str, Any], **_: Any) -> None:
        params["Limit"] = 2
        calls.append(params)

    client.meta.events.register("provide-client-params.dynamodb.Query", limit)
    yield calls
    client.meta.events.unregister("provide-client-params.dynamodb.Query", limit)


def make_app(owner_id: str, name: str = "demo", *, seconds: int = 0) -> App:
    return App(new_app_id(), name, owner_id, utcnow() + timedelta(seconds=seconds))


def count_usage(
    services: Container, app_id: str, day: str, model: str, tokens: int, cost: int, requests: int
) -> None:
    """A usage counter as billing leaves it at settlement."""
    services.client("dynamodb").put_item(
        TableName=services.settings.TABLE_NAME,
        Item={
            "PK": {"S": f"APP#{app_id}"},
            "SK": {"S": f"USAGE#{day}#{model}"},
            "tokens": {"N": str(tokens)},
            "cost_micro_usd": {"N": str(cost)},
            "requests": {"N": str(requests)},
            "day": {"S": day},
            "model": {"S": model},
        },
    )


def test_app_round_trip_without_config(store: DynamoAppRepository) -> None:
    app = make_app(f"user_{uuid.uuid4().hex}", "My app")
    store.create(app)
    assert store.get(app.app_id) == app
    assert store.get(new_app_id()) is None
    with pytest.raises(ConflictError):
        store.create(app)


def test_config_replaces_the_whole_map(store: DynamoAppRepository) -> None:
    app = make_app(f"user_{uuid.uuid4().hex}")
    store.create(app)
    store.put_config(app.app_id, AppConfig("gpt-4o-mini", 500, ("gpt-4o-mini", "fake-chat"), True))
    second = AppConfig(None, None, ("fake-chat",), True)
    store.put_config(app.app_id, second)
    assert store.get(app.app_id) == App(app.app_id, app.name, app.owner_id, app.created_at, second)
    with pytest.raises(NotFoundError) as caught:
        store.put_config(new_app_id(), second)
    assert caught.value.code == "app_not_found"


def test_owner_lists_only_their_apps_oldest_first(
    store: DynamoAppRepository, small_pages: list[dict[str, Any]]
) -> None:
    owner = f"user_{uuid.uuid4().hex}"
    apps = [make_app(owner, f"app {i}", seconds=i) for i in range(5)]
    for app in reversed(apps):
        store.create(app)
    store.create(make_app(f"user_{uuid.uuid4().hex}"))
    assert store.list_for_owner(owner) == apps
    assert len(small_pages) >= 3
    assert store.list_for_owner(f"user_{uuid.uuid4().hex}") == []


def test_usage_reads_counters_in_an_inclusive_range_across_pages(
    services: Container, store: DynamoAppRepository, small_pages: list[dict[str, Any]]
) -> None:
    app_id, other = new_app_id(), new_app_id()
    store.create(App(app_id, "demo", "user_x", utcnow()))  # the app item shares the partition
    for day in ("2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"):
        count_usage(services, app_id, day, "gpt-4o-mini", 100, 60, 2)
    count_usage(services, app_id, "2026-03-04", "fake-chat", 7, 3, 1)
    count_usage(services, other, "2026-03-02", "gpt-4o-mini", 999, 999, 9)
    rows = store.usage(app_id, date(2026, 3, 1), date(2026, 3, 4))
    assert [(row.day.isoformat(), row.model) for row in rows] == [
        ("2026-03-01", "gpt-4o-mini"),
        ("2026-03-02", "gpt-4o-mini"),
        ("2026-03-03", "gpt-4o-mini"),
        ("2026-03-04", "fake-chat"),
        ("2026-03-04", "gpt-4o-mini"),
    ]
    assert rows[3] == UsageRow(date(2026, 3, 4), "fake-chat", 7, 3, 1)
    assert len(small_pages) >= 3
    assert store.usage(app_id, date(2026, 3, 4), date(2026, 3, 4))[0].model == "fake-chat"
    assert store.usage(app_id, date(2026, 3, 5), date(2026, 3, 9)) == []
