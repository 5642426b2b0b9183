"""The apps routes through the ASGI app: apps, their AI config, and their usage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import Role, User
from switchboard.domain.catalog import ModelType
from switchboard.services.accounts import AccountService
from tests.conftest import OpenClient

pytestmark = pytest.mark.anyio


@pytest.fixture
def key_for(accounts: AccountService, new_user: Callable[..., User]) -> Callable[..., str]:
    def make(role: Role = Role.USER) -> str:
        return accounts.issue_key(new_user(role=role), "apps test").secret

    return make


async def create(client: httpx.AsyncClient, name: str = "My app") -> dict[str, Any]:
    response = await client.post("/apps", json={"name": name})
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_error(response: httpx.Response, status: int, param: str | None, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    assert error["type"] and error["message"]


def count_usage(services: Container, app_id: str, day: str, model: str, cost: int) -> None:
    services.client("dynamodb").put_item(
        TableName=services.settings.TABLE_NAME,
        Item={
            "PK": {"S": f"APP#{app_id}"},
            "SK": {"S": f"USAGE#{day}#{model}"},
            "tokens": {"N": "1000"},
            "cost_micro_usd": {"N": str(cost)},
            "requests": {"N": "3"},
            "day": {"S": day},
            "model": {"S": model},
        },
    )


async def test_create_and_list_apps(client: httpx.AsyncClient) -> None:
    before = int(datetime.now(UTC).timestamp())
    first = await create(client, "  First  ")
    second = await create(client, "Second")
    assert first["object"] == "app" and first["name"] == "First"
    assert first["id"].startswith("app_") and first["id"] != second["id"]
    assert first["owner_id"] and abs(first["created_at"] - before) <= 5
    listed = (await client.get("/apps")).json()
    assert listed == {"object": "list", "data": [first, second], "has_more": False,
                      "next_cursor": None}  # fmt: skip


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "  "}, {"name": 3}, {"name": "x" * 201}]
)
async def test_bad_names_are_400(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert_error(await client.post("/apps", json=body), 400, "name", "invalid_value")


async def test_non_object_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/apps", content=b"[1]")
    assert_error(response, 400, None, "invalid_json")


async def test_config_defaults_then_put_replaces_it(
    client: httpx.AsyncClient, services: Container
) -> None:
    app_id = (await create(client))["id"]
    url = f"/v1/{app_id}/ai/config"
    kinds = (ModelType.CHAT, ModelType.VIDEO)
    chat = [m.id for m in services.catalog.models if m.type in kinds]
    defaults = {
        "app_id": app_id,
        "defaultModel": None,
        "maxTokensPerRequest": None,
        "allowedModels": chat,
        "traceCapture": True,
    }
    assert (await client.get(url)).json() == defaults
    config = {
        "defaultModel": "fake-chat",
        "maxTokensPerRequest": 100_000,
        "allowedModels": ["fake-chat", "fake-embed"],
    }
    put = await client.put(url, json=config)
    assert put.status_code == 200 and put.json() == {
        "app_id": app_id,
        **config,
        "traceCapture": True,
    }
    assert (await client.get(url)).json() == put.json()
    partial = await client.put(url, json={"maxTokensPerRequest": 1})
    assert partial.json() == defaults | {"maxTokensPerRequest": 1}
    assert (await client.put(url, json=defaults)).json() == defaults  # the GET body, echoed


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"maxTokensPerRequest": 0}, "maxTokensPerRequest"),
        ({"maxTokensPerRequest": 100_001}, "maxTokensPerRequest"),
        ({"maxTokensPerRequest": "5"}, "maxTokensPerRequest"),
        ({"defaultModel": "gpt-4.1", "allowedModels": ["fake-chat"]}, "defaultModel"),
        ({"defaultModel": "no-such-model"}, "defaultModel"),
        ({"allowedModels": ["fake-chat", "no-such-model"]}, "allowedModels"),
        ({"allowedModels": []}, "allowedModels"),
        ({"allowedModels": ["fake-chat", "fake-chat"]}, "allowedModels"),
        ({"allowedModels": "fake-chat"}, "allowedModels"),
        ({"traceCapture": "off"}, "traceCapture"),
        ({"app_id": "app_other"}, "app_id"),
    ],
)
async def test_bad_configs_are_400_and_change_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    app_id = (await create(client))["id"]
    url = f"/v1/{app_id}/ai/config"
    before = (await client.get(url)).json()
    response = await client.put(url, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert (await client.get(url)).json() == before


async def test_usage_sums_counters_in_the_inclusive_range(
    client: httpx.AsyncClient, services: Container
) -> None:
    app_id = (await create(client))["id"]
    for day in ("2026-01-31", "2026-02-01", "2026-02-02", "2026-02-03"):
        count_usage(services, app_id, day, "fake-chat", 1_500_000)
    count_usage(services, app_id, "2026-02-02", "gpt-4o-mini", 7)
    params = {"startDate": "2026-02-01", "endDate": "2026-02-02"}
    body = (await client.get(f"/v1/{app_id}/ai/usage", params=params)).json()
    assert body == {
        "app_id": app_id,
        "startDate": "2026-02-01",
        "endDate": "2026-02-02",
        "totalTokens": 3000,
        "totalCost": "3.000007",
        "byModel": {
            "fake-chat": {"tokens": 2000, "cost": "3.000000", "requests": 6},
            "gpt-4o-mini": {"tokens": 1000, "cost": "0.000007", "requests": 3},
        },
    }
    params = {"startDate": "2025-01-01", "endDate": "2025-01-01"}
    empty = (await client.get(f"/v1/{app_id}/ai/usage", params=params)).json()
    assert (empty["totalTokens"], empty["totalCost"], empty["byModel"]) == (0, "0.000000", {})


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"endDate": "2026-02-01"}, "startDate"),
        ({"startDate": "2026-02-01"}, "endDate"),
        ({"startDate": "2026/02/01", "endDate": "2026-02-01"}, "startDate"),
        ({"startDate": "2026-02-01", "endDate": "2026-02-30"}, "endDate"),
        ({"startDate": "2026-02-02", "endDate": "2026-02-01"}, "endDate"),
        ({"startDate": "2025-01-01", "endDate": "2026-01-02"}, "endDate"),
    ],
)
async def test_bad_usage_ranges_are_400(
    client: httpx.AsyncClient, params: dict[str, str], param: str
) -> None:
    app_id = (await create(client))["id"]
    response = await client.get(f"/v1/{app_id}/ai/usage", params=params)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


async def test_other_users_apps_are_404_but_admins_reach_them(
    client: httpx.AsyncClient, key_for: Callable[..., str], open_client: OpenClient
) -> None:
    app_id = (await create(client))["id"]
    paths = [
        f"/v1/{app_id}/ai/config",
        f"/v1/{app_id}/ai/usage?startDate=2026-01-01&endDate=2026-01-02",
    ]
    async with open_client(key_for()) as stranger:
        for path in paths:
            assert_error(await stranger.get(path), 404, "app_id", "app_not_found")
        assert_error(
            await stranger.put(paths[0], json={"maxTokensPerRequest": 5}),
            404,
            "app_id",
            "app_not_found",
        )
        assert (await stranger.get("/apps")).json()["data"] == []
    async with open_client(key_for(Role.ADMIN)) as admin:
        for path in paths:
            assert (await admin.get(path)).status_code == 200
        put = await admin.put(paths[0], json={"maxTokensPerRequest": 5})
        assert put.json()["maxTokensPerRequest"] == 5
    assert (await client.get(paths[0])).json()["maxTokensPerRequest"] == 5


async def test_unknown_app_is_404(client: httpx.AsyncClient) -> None:
    for app_id in ("app_0123456789abcdef01234567", "not-an-app"):
        response = await client.get(f"/v1/{app_id}/ai/config")
        assert_error(response, 404, "app_id", "app_not_found")


async def test_gateway_keys_cannot_manage_apps(
    accounts: AccountService, new_user: Callable[..., User], open_client: OpenClient
) -> None:
    user = new_user()
    secret = accounts.issue_key(user, "gateway", scopes=("ai:gateway",)).secret
    async with open_client(secret) as gateway:
        for response in (
            await gateway.post("/apps", json={"name": "x"}),
            await gateway.get("/apps"),
        ):
            assert_error(response, 403, None, "insufficient_scope")


async def test_apps_need_a_key(open_client: OpenClient) -> None:
    async with open_client() as anonymous:
        assert (await anonymous.get("/apps")).status_code == 401
