"""Apps through the platform's ASGI app: rename, delete (its routes gone, its usage kept),
the per-user bound (MaxAppsPerUser) and cursor pages of the list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User

pytestmark = pytest.mark.anyio
HELLO = [{"role": "user", "content": "Hello there"}]
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def bound(services: Container) -> Iterator[Callable[[int], None]]:
    before = services.apps.max_apps

    def set_bound(value: int) -> None:
        services.apps.max_apps = value

    yield set_bound
    services.apps.max_apps = before


async def make(http: httpx.AsyncClient, name: str = "app") -> dict[str, Any]:
    response = await http.post("/apps", json={"name": name})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_rename_then_read(client: httpx.AsyncClient) -> None:
    app = await make(client, "before")
    renamed = await client.patch(f"/apps/{app['id']}", json={"name": "  after "})
    assert renamed.status_code == 200 and renamed.json() == app | {"name": "after"}
    assert (await client.get(f"/apps/{app['id']}")).json()["name"] == "after"
    bad = await client.patch(f"/apps/{app['id']}", json={"name": ""})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "name"


async def test_a_deleted_apps_routes_are_gone_and_its_usage_is_kept(
    new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user(balance_usd=1)) as http:
        app = await make(http)
        app_id = app["id"]
        chat = {"model": "fake-chat", "messages": HELLO, "max_tokens": 10}
        served = await http.post(f"/v1/{app_id}/chat/completions", json=chat)
        assert served.status_code == 200
        deleted = await http.delete(f"/apps/{app_id}")
        assert deleted.json() == {"id": app_id, "object": "app", "deleted": True}
        for method, path in [
            ("POST", f"/v1/{app_id}/chat/completions"),
            ("GET", f"/v1/{app_id}/ai/config"),
            ("GET", f"/apps/{app_id}"),
            ("PATCH", f"/apps/{app_id}"),
            ("DELETE", f"/apps/{app_id}"),
        ]:
            response = await http.request(method, path, json=chat | {"name": "x"})
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "app_not_found"
        usage = await http.get(f"/v1/{app_id}/ai/usage?startDate={TODAY}&endDate={TODAY}")
        mine = await http.get(f"/v1/usage?startDate={TODAY}&endDate={TODAY}&groupBy=app")
        listed = (await http.get("/apps")).json()["data"]
    assert usage.status_code == 200 and usage.json()["byModel"]["fake-chat"]["requests"] == 1
    assert [row["app_id"] for row in mine.json()["data"]] == [app_id]
    assert listed == []


async def test_another_users_app_is_not_found(
    client: httpx.AsyncClient, new_user: Callable[..., User], connect: Any
) -> None:
    async with connect(new_user()) as theirs:
        app = await make(theirs)
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, f"/apps/{app['id']}", json={"name": "mine"})
        assert response.status_code == 404, response.text
    async with connect(new_user()) as theirs:
        assert (await theirs.get("/apps")).json()["data"] == []


async def test_apps_beyond_the_bound_are_409_until_one_is_deleted(
    client: httpx.AsyncClient, bound: Callable[[int], None]
) -> None:
    bound(2)
    first, _ = await make(client), await make(client)
    refused = await client.post("/apps", json={"name": "third"})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "app_limit_reached" and "delete one" in error["message"]
    await client.delete(f"/apps/{first['id']}")
    await make(client, "third")
    assert (await client.post("/apps", json={"name": "fourth"})).status_code == 409


async def test_app_pages_round_trip(client: httpx.AsyncClient) -> None:
    made = [await make(client, f"a{i}") for i in range(5)]
    await client.delete(f"/apps/{made[2]['id']}")
    seen, after = [], None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"after": after} if after else {})
        page = (await client.get("/apps", params=params)).json()
        seen += page["data"]
        if not page["has_more"]:
            break
        after = page["next_cursor"]
    assert [app["id"] for app in seen] == [app["id"] for i, app in enumerate(made) if i != 2]
