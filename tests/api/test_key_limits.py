"""Keys through the platform's ASGI app: expiry at creation, the per-user bound
(MaxKeysPerUser), and cursor pages of the list."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from switchboard.domain.accounts import User
from switchboard.domain.clock import utcnow
from switchboard.services.accounts import AccountService

pytestmark = pytest.mark.anyio


@pytest.fixture
def bound(accounts: AccountService) -> Iterator[Callable[[int], None]]:
    """`bound(n)`: MaxKeysPerUser is n for this test."""
    before = accounts.max_keys

    def set_bound(value: int) -> None:
        accounts.max_keys = value

    yield set_bound
    accounts.max_keys = before


async def test_a_key_made_to_expire_shows_when_and_works_until_then(
    client: httpx.AsyncClient, open_client: Any
) -> None:
    made = await client.post("/api-keys", json={"name": "ci", "scopes": ["*"],
                                                "expires_in_days": 30})  # fmt: skip
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["expires_at"] - key["created_at"] in range(30 * 86400 - 2, 30 * 86400 + 2)
    at = int(time.time()) + 3600
    labelled = (await client.post("/user/apikeys", json={"label": "l", "expires_at": at})).json()
    assert labelled["expires_at"] == at
    listed = {k["id"]: k for k in (await client.get("/api-keys")).json()["data"]}
    assert listed[key["id"]]["expires_at"] == key["expires_at"]
    async with open_client(key["key"]) as http:
        assert (await http.get("/v1/models")).status_code == 200


async def test_an_expired_key_is_refused_saying_so(
    accounts: AccountService, new_user: Callable[..., User], open_client: Any
) -> None:
    past = utcnow() - timedelta(seconds=1)
    issued = accounts.issue_key(new_user(), "old", expires_at=past)
    async with open_client(issued.secret) as http:
        response = await http.get("/v1/models")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "api_key_expired" and "expired at" in error["message"]


@pytest.mark.parametrize(
    "expiry",
    [
        {"expires_in_days": 0},
        {"expires_in_days": 3651},
        {"expires_in_days": "soon"},
        {"expires_at": 1},
        {"expires_at": -5},
        {"expires_at": 10**12},
        {"expires_at": 4102444800, "expires_in_days": 3},
    ],
)
async def test_bad_expiries_are_400(client: httpx.AsyncClient, expiry: dict[str, Any]) -> None:
    response = await client.post("/api-keys", json={"name": "x", "scopes": ["*"], **expiry})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] in ("expires_at", "expires_in_days")


async def test_keys_beyond_the_bound_are_409_until_one_is_revoked(
    client: httpx.AsyncClient, bound: Callable[[int], None]
) -> None:
    bound(3)  # the client's own key is the first
    made = [(await client.post("/user/apikeys", json={"label": f"k{i}"})) for i in range(2)]
    assert [response.status_code for response in made] == [201, 201]
    refused = await client.post("/api-keys", json={"name": "one more", "scopes": ["*"]})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "key_limit_reached" and "revoke one" in error["message"]
    assert "3" in error["message"]
    assert (await client.delete(f"/user/apikeys/{made[0].json()['id']}")).status_code == 200
    assert (await client.delete(f"/user/apikeys/{made[0].json()['id']}")).status_code == 404
    again = await client.post("/api-keys", json={"name": "one more", "scopes": ["*"]})
    assert again.status_code == 201
    assert (await client.post("/user/apikeys", json={"label": "x"})).status_code == 409


async def test_expired_keys_make_room(
    accounts: AccountService,
    new_user: Callable[..., User],
    connect: Any,
    bound: Callable[[int], None],
) -> None:
    user = new_user()
    bound(2)
    accounts.issue_key(user, "stale", expires_at=utcnow() - timedelta(seconds=1))
    async with connect(user) as http:  # the second
        made = await http.post("/user/apikeys", json={"label": "fresh"})
        assert made.status_code == 201, made.text
        listed = (await http.get("/user/apikeys")).json()["data"]
    assert "stale" not in {key["label"] for key in listed}


async def test_key_pages_round_trip(
    accounts: AccountService, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user()
    for i in range(4):
        accounts.issue_key(user, f"k{i}")
    revoked = accounts.issue_key(user, "revoked")
    accounts.revoke_key(user.user_id, revoked.record.key_id)
    async with connect(user) as http:
        everything = (await http.get("/api-keys")).json()
        seen, after = [], None
        while True:
            page = (await http.get("/api-keys", params={"limit": 2} | (
                {"after": after} if after else {}))).json()  # fmt: skip
            assert len(page["data"]) <= 2
            seen += page["data"]
            if not page["has_more"]:
                assert page["next_cursor"] is None
                break
            after = page["next_cursor"]
        bad = await http.get("/api-keys", params={"after": "%%%"})
    assert everything["has_more"] is False and len(everything["data"]) == 5
    assert [key["id"] for key in seen] == [key["id"] for key in everything["data"]]
    assert revoked.record.key_id not in {key["id"] for key in seen}
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "after"
