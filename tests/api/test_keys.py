"""A user's API keys through the platform's ASGI app: both families, listing, revoking, scopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.domain.accounts import User
from switchboard.services.accounts import AccountService

pytestmark = pytest.mark.anyio
LISTED = {"id", "object", "prefix", "last4", "scopes", "created_at", "expires_at"}


def assert_no_secrets(body: Any, *secrets: str) -> None:
    text = str(body)
    assert "key_hash" not in text and "'key'" not in text
    assert not any(secret in text for secret in secrets)


async def test_user_keys_are_made_once_and_listed_without_the_secret(
    client: httpx.AsyncClient, open_client: Any
) -> None:
    made = await client.post("/user/apikeys", json={"label": "  laptop  "})
    assert made.status_code == 201
    key = made.json()
    assert set(key) == {"id", "object", "key", "label", "created_at", "expires_at"}
    assert key["object"] == "api_key" and key["label"] == "laptop"
    assert key["key"].startswith("sb_") and isinstance(key["created_at"], int)
    async with open_client(key["key"]) as http:
        assert (await http.get("/v1/models")).status_code == 200  # it works

    listed = (await client.get("/user/apikeys")).json()
    assert listed["object"] == "list"
    mine = next(k for k in listed["data"] if k["id"] == key["id"])
    assert set(mine) == LISTED | {"label"}
    assert (mine["prefix"], mine["last4"]) == ("sb_", key["key"][-4:])
    assert mine["scopes"] == ["*"] and mine["created_at"] == key["created_at"]
    assert_no_secrets(listed, key["key"])


async def test_scoped_keys_and_both_families_list_the_same_keys(
    client: httpx.AsyncClient,
) -> None:
    made = await client.post("/api-keys", json={"name": "ci", "scopes": ["ai:gateway"]})
    assert made.status_code == 201
    key = made.json()
    assert set(key) == {"id", "object", "key", "name", "scopes", "created_at", "expires_at"}
    assert key["scopes"] == ["ai:gateway"] and key["name"] == "ci"
    await client.post("/user/apikeys", json={"label": "desk"})

    scoped = (await client.get("/api-keys")).json()
    labelled = (await client.get("/user/apikeys")).json()
    assert all(set(k) == LISTED | {"name"} for k in scoped["data"])
    assert [(k["id"], k["name"]) for k in scoped["data"]] == [
        (k["id"], k["label"]) for k in labelled["data"]
    ]
    assert {"test key", "ci", "desk"} == {k["name"] for k in scoped["data"]}
    assert_no_secrets(scoped, key["key"])


@pytest.mark.parametrize("family", ["/user/apikeys", "/api-keys"])
async def test_a_revoked_key_stops_working_at_once(
    client: httpx.AsyncClient, open_client: Any, family: str
) -> None:
    body = {"label": "doomed"} if family == "/user/apikeys" else {"name": "doomed", "scopes": ["*"]}
    key = (await client.post(family, json=body)).json()
    async with open_client(key["key"]) as http:
        assert (await http.get("/v1/models")).status_code == 200  # now cached here
        response = await client.delete(f"{family}/{key['id']}")
        assert response.status_code == 200
        assert response.json() == {"id": key["id"], "object": "api_key", "deleted": True}
        assert (await http.get("/v1/models")).status_code == 401
    listed = (await client.get(family)).json()["data"]
    assert key["id"] not in {k["id"] for k in listed}
    again = await client.delete(f"{family}/{key['id']}")
    assert again.status_code == 404


async def test_another_users_key_is_not_found(
    client: httpx.AsyncClient,
    accounts: AccountService,
    new_user: Callable[..., User],
    open_client: Any,
) -> None:
    theirs = accounts.issue_key(new_user(), "theirs")
    for family in ("/user/apikeys", "/api-keys"):
        response = await client.delete(f"{family}/{theirs.record.key_id}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "api_key_not_found"
    async with open_client(theirs.secret) as http:
        assert (await http.get("/v1/models")).status_code == 200  # untouched
    listed = (await client.get("/api-keys")).json()["data"]
    assert theirs.record.key_id not in {k["id"] for k in listed}


async def test_a_gateway_key_reaches_inference_only(
    client: httpx.AsyncClient, open_client: Any
) -> None:
    body = {"name": "gateway", "scopes": ["ai:gateway"]}
    gateway = (await client.post("/api-keys", json=body)).json()["key"]
    async with open_client(gateway) as http:
        assert (await http.get("/v1/models")).status_code == 200
        for method, path in [
            ("GET", "/user/apikeys"),
            ("POST", "/api-keys"),
            ("DELETE", "/api-keys/key_x"),
            ("GET", "/auth/me"),
        ]:
            response = await http.request(method, path, json={"name": "x", "scopes": ["*"]})
            assert response.status_code == 403, path
            error = response.json()["error"]
            assert (error["type"], error["code"]) == ("permission_error", "insufficient_scope")


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/api-keys", {"name": "x", "scopes": ["admin"]}, "scopes"),
        ("/api-keys", {"name": "x", "scopes": ["*", "ai:gateway"]}, "scopes"),
        ("/api-keys", {"name": "x", "scopes": []}, "scopes"),
        ("/api-keys", {"name": "x", "scopes": "*"}, "scopes"),
        ("/api-keys", {"name": "x"}, "scopes"),
        ("/api-keys", {"name": "   ", "scopes": ["*"]}, "name"),
        ("/api-keys", {"name": "x" * 201, "scopes": ["*"]}, "name"),
        ("/user/apikeys", {}, "label"),
        ("/user/apikeys", {"label": ""}, "label"),
        ("/user/apikeys", {"label": 7}, "label"),
        ("/user/apikeys", {"label": "x", "scopes": ["*"]}, "scopes"),
    ],
)
async def test_invalid_key_requests_are_400(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], param: str
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


async def test_a_name_of_200_characters_is_fine(client: httpx.AsyncClient) -> None:
    response = await client.post("/user/apikeys", json={"label": "x" * 200})
    assert response.status_code == 201 and response.json()["label"] == "x" * 200
