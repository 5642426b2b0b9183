"""Admin endpoints through the platform's ASGI app: users, credits, keys issued for users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import Role, User
from switchboard.domain.limits import RateLimits
from switchboard.services.passwords import verify_password
from tests.conftest import OpenClient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin(
    connect: Callable[..., Any], new_user: Callable[..., User]
) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(new_user(role=Role.ADMIN)) as http:
        yield http


def new_email() -> str:
    return f"{uuid.uuid4().hex}@Example.com"


def user_body(**changes: Any) -> dict[str, Any]:
    """A valid POST /admin/users body; a change to None leaves that field out."""
    body = {"email": new_email(), "first_name": "Grace", "last_name": "Hopper", "plan": "builder"}
    body |= {"credits_usd": "12.345678"} | changes
    return {name: value for name, value in body.items() if value is not None}


async def test_non_admins_are_refused(client: httpx.AsyncClient, new_user: Any) -> None:
    user_id = new_user().user_id
    for method, path in [
        ("POST", "/admin/users"),
        ("GET", f"/admin/users/{user_id}"),
        ("POST", f"/admin/users/{user_id}/credits"),
        ("POST", f"/admin/users/{user_id}/apikeys"),
    ]:
        response = await client.request(method, path, json=user_body())
        assert response.status_code == 403, path
        assert response.json()["error"]["type"] == "permission_error"


async def test_create_user_shows_it_as_me_does(admin: httpx.AsyncClient) -> None:
    body = user_body(email="  Grace." + new_email() + " ")
    response = await admin.post("/admin/users", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["email"] == body["email"].strip().lower()
    assert made["credits_usd"] == "12.345678" and made["token_balance"] == 12_345_678
    assert (made["role"], made["plan"], made["first_name"]) == ("user", "builder", "Grace")
    assert made["id"].startswith("usr_") and isinstance(made["created_at"], int)
    fetched = await admin.get(f"/admin/users/{made['id']}")
    assert fetched.status_code == 200 and fetched.json() == made


async def test_an_enterprise_admin_with_a_password_and_own_limits(
    admin: httpx.AsyncClient, services: Container
) -> None:
    limits = {"requests_per_minute": 1000, "tokens_per_minute": 2_000_000}
    body = user_body(
        plan="enterprise", role="admin", password="long enough", rate_limits=limits, credits_usd=5
    )
    made = (await admin.post("/admin/users", json=body)).json()
    assert made["role"] == "admin" and made["credits_usd"] == "5.000000"
    found = services.account_repo.find_by_email(made["email"])
    assert found is not None
    user, stored = found
    assert user.limits == RateLimits(1000, 2_000_000)
    assert stored is not None and stored.startswith("$argon2id$")
    assert verify_password("long enough", stored)


async def test_a_taken_email_is_409(admin: httpx.AsyncClient) -> None:
    body = user_body()
    assert (await admin.post("/admin/users", json=body)).status_code == 201
    again = await admin.post("/admin/users", json=body | {"email": body["email"].upper()})
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "email_taken" and "taken" in error["message"]


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"email": None}, "email"),
        ({"plan": ""}, "plan"),
        ({"credits_usd": None}, "credits_usd"),
        ({"first_name": None}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "   "}, "last_name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a b@example.com"}, "email"),
        ({"email": "a@example"}, "email"),
        ({"email": "a@@example.com"}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"credits_usd": "-1"}, "credits_usd"),
        ({"credits_usd": "1.0000001"}, "credits_usd"),
        ({"credits_usd": "lots"}, "credits_usd"),
        ({"credits_usd": True}, "credits_usd"),
        ({"credits_usd": "1e999999999999"}, "credits_usd"),
        ({"plan": "platinum"}, "plan"),
        ({"role": "owner"}, "role"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 1025}, "password"),
        ({"rate_limits": {"requests_per_minute": 0, "tokens_per_minute": 1}}, None),
        ({"nickname": "Amazing Grace"}, "nickname"),
    ],
    ids=str,
)
async def test_invalid_new_users_are_400(
    admin: httpx.AsyncClient, changes: dict[str, Any], param: str | None
) -> None:
    response = await admin.post("/admin/users", json=user_body(**changes))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param or (param is None and error["param"].startswith("rate_limits"))
    if changes.get(param or "", 0) is None:
        assert error["message"].startswith("Missing required parameter")


async def test_unknown_user_is_404(admin: httpx.AsyncClient) -> None:
    for method, path, body in [
        ("GET", "/admin/users/usr_nobody", None),
        ("POST", "/admin/users/usr_nobody/credits", {"amount_usd": "1", "reason": "r"}),
        ("POST", "/admin/users/usr_nobody/apikeys", {"name": "k", "scopes": ["*"]}),
    ]:
        response = await admin.request(method, path, json=body)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "user_not_found"


async def test_credits_top_up_and_adjustment(admin: httpx.AsyncClient, new_user: Any) -> None:
    user_id = new_user(balance_usd=10).user_id
    path = f"/admin/users/{user_id}/credits"
    topped = await admin.post(path, json={"amount_usd": "12.345678", "reason": "invoice 42"})
    assert topped.status_code == 200, topped.text
    assert topped.json() == {
        "user_id": user_id,
        "credits_usd": "22.345678",
        "token_balance": 22_345_678,
    }
    adjusted = await admin.post(path, json={"amount_usd": -2.5, "reason": "refund"})
    assert adjusted.json()["credits_usd"] == "19.845678"
    too_far = await admin.post(path, json={"amount_usd": "-19.845679", "reason": "oops"})
    assert too_far.status_code == 409
    assert too_far.json()["error"]["code"] == "balance_too_low"
    me = (await admin.get(f"/admin/users/{user_id}")).json()
    assert me["credits_usd"] == "19.845678"
    to_zero = await admin.post(path, json={"amount_usd": "-19.845678", "reason": "close"})
    assert to_zero.json()["credits_usd"] == "0.000000"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"amount_usd": "0", "reason": "nothing"}, "amount_usd"),
        ({"amount_usd": 0, "reason": "nothing"}, "amount_usd"),
        ({"amount_usd": "1e999999999999", "reason": "overflow"}, "amount_usd"),
        ({"amount_usd": "-1e999999999999", "reason": "overflow"}, "amount_usd"),
        ({"amount_usd": "1"}, "reason"),
        ({"amount_usd": "1", "reason": "  "}, "reason"),
        ({"amount_usd": "1", "reason": "x" * 501}, "reason"),
        ({"reason": "why"}, "amount_usd"),
        ({"amount_usd": "1.2345678", "reason": "why"}, "amount_usd"),
    ],
)
async def test_invalid_credits_are_400(
    admin: httpx.AsyncClient, new_user: Any, body: dict[str, Any], param: str
) -> None:
    response = await admin.post(f"/admin/users/{new_user().user_id}/credits", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


async def test_an_admin_issued_key_works_for_that_user(
    admin: httpx.AsyncClient, open_client: OpenClient, new_user: Any
) -> None:
    user = new_user(plan="builder")
    response = await admin.post(
        f"/admin/users/{user.user_id}/apikeys", json={"name": "issued", "scopes": ["*"]}
    )
    assert response.status_code == 201
    key = response.json()
    assert set(key) == {"id", "object", "key", "name", "scopes", "created_at", "expires_at"}
    async with open_client(key["key"]) as http:
        me = (await http.get("/auth/me")).json()
        listed = (await http.get("/api-keys")).json()["data"]
    assert me["id"] == user.user_id and me["plan"] == "builder"
    assert [k["id"] for k in listed] == [key["id"]]
    bad = await admin.post(f"/admin/users/{user.user_id}/apikeys", json={"name": "k"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "scopes"


async def test_a_new_user_without_a_plan_is_on_maker(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/admin/users", json=user_body(plan=None))
    assert response.status_code == 201, response.text
    assert response.json()["plan"] == "maker"
