"""Admins change users through the platform's ASGI app: plan, role, limits, disabling and
enabling (their keys and sessions stop, then work again), and the paginated user list."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.account_changes import NewUser
from switchboard.domain.accounts import Role, User
from switchboard.services.accounts import AccountService
from switchboard.services.passwords import hash_password
from switchboard.services.sessions import SessionService
from tests.support.clock import Clock

pytestmark = pytest.mark.anyio
PASSWORD = "s3cret-enough"


@pytest.fixture
async def admin(
    connect: Callable[..., Any], new_user: Callable[..., User]
) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(new_user(role=Role.ADMIN)) as http:
        yield http


async def test_plan_role_and_limits_reach_the_users_keys(
    admin: httpx.AsyncClient, accounts: AccountService, new_user: Callable[..., User],
    open_client: Any,
) -> None:  # fmt: skip
    user = new_user()
    secret = accounts.issue_key(user, "theirs").secret
    async with open_client(secret) as http:
        assert (await http.get("/admin/users")).status_code == 403  # cached as a user
        body = {"plan": "builder", "role": "admin",
                "rate_limits": {"requests_per_minute": 7, "tokens_per_minute": 700}}  # fmt: skip
        changed = await admin.patch(f"/admin/users/{user.user_id}", json=body)
        assert changed.status_code == 200, changed.text
        view = changed.json()
        assert (view["plan"], view["role"], view["disabled"]) == ("builder", "admin", False)
        assert view["rate_limits"] == {"requests_per_minute": 7, "tokens_per_minute": 700}
        models = await http.get("/v1/models")
        assert models.headers["x-ratelimit-limit"] == "7"
        assert (await http.get("/admin/users")).status_code == 200  # an admin now
        cleared = await admin.patch(f"/admin/users/{user.user_id}", json={"rate_limits": None})
        assert cleared.json()["rate_limits"] is None
        assert (await http.get("/v1/models")).headers["x-ratelimit-limit"] == "120"
    new_key = await admin.post(f"/admin/users/{user.user_id}/apikeys",
                               json={"name": "after", "scopes": ["*"]})  # fmt: skip
    async with open_client(new_key.json()["key"]) as http:
        assert (await http.get("/admin/users")).status_code == 200


async def test_a_disabled_users_keys_stop_until_enabled(
    admin: httpx.AsyncClient, accounts: AccountService, new_user: Callable[..., User],
    open_client: Any,
) -> None:  # fmt: skip
    user = new_user()
    secret = accounts.issue_key(user, "theirs").secret
    async with open_client(secret) as http:
        assert (await http.get("/v1/models")).status_code == 200
        disabled = await admin.patch(f"/admin/users/{user.user_id}", json={"disabled": True})
        assert disabled.json()["disabled"] is True
        refused = await http.get("/v1/models")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "account_disabled"
        issuing = await admin.post(f"/admin/users/{user.user_id}/apikeys",
                                   json={"name": "x", "scopes": ["*"]})  # fmt: skip
        assert issuing.status_code == 409 and issuing.json()["error"]["code"] == "user_disabled"
        enabled = await admin.patch(f"/admin/users/{user.user_id}", json={"disabled": False})
        assert enabled.json()["disabled"] is False
        assert (await http.get("/v1/models")).status_code == 200


async def test_a_disabled_user_cannot_log_in_and_their_session_stops_within_the_bound(
    services: Container, accounts: AccountService, open_client: Any
) -> None:
    email = f"{uuid.uuid4().hex}@example.com"
    user = accounts.create_user(NewUser(email, "A", "B", password_hash=hash_password(PASSWORD)))
    clock = Clock()
    sessions = SessionService(
        services.account_repo, services.session_repo, services.session_secret,
        ttl_seconds=900, cache_seconds=30, clock=clock,
    )  # fmt: skip
    now = int(time.time())
    claims = {"sub": user.user_id, "jti": uuid.uuid4().hex, "iat": now, "exp": now + 900,
              "role": "user", "plan": "maker"}  # fmt: skip
    token = jwt.encode(claims, services.session_secret.get())
    assert (await sessions.principal(token)).user_id == user.user_id
    accounts.change_user(user.user_id, _disable())
    assert (await sessions.principal(token)).user_id == user.user_id  # cached: the bound
    clock.now += 31
    with pytest.raises(Exception) as refused:
        await sessions.principal(token)
    assert getattr(refused.value, "code", None) == "account_disabled"
    async with open_client() as http:
        login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401 and login.json()["error"]["code"] == "account_disabled"


def _disable() -> Any:
    from switchboard.domain.account_changes import UserChanges

    return UserChanges(disabled=True)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"plan": "platinum"}, "plan"),
        ({"role": "root"}, "role"),
        ({"disabled": "yes"}, "disabled"),
        ({"rate_limits": {"requests_per_minute": 0, "tokens_per_minute": 1}}, None),
        ({"email": "x@example.com"}, "email"),
    ],
)
async def test_bad_changes_are_400(
    admin: httpx.AsyncClient, new_user: Callable[..., User], body: dict[str, Any],
    param: str | None,
) -> None:  # fmt: skip
    response = await admin.patch(f"/admin/users/{new_user().user_id}", json=body)
    assert response.status_code == 400, response.text
    if param:
        assert response.json()["error"]["param"] == param


async def test_changes_are_admin_only_and_unknown_users_404(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, new_user: Callable[..., User]
) -> None:
    target = new_user().user_id
    assert (
        await client.patch(f"/admin/users/{target}", json={"plan": "builder"})
    ).status_code == 403
    assert (await client.get("/admin/users")).status_code == 403
    unknown = await admin.patch("/admin/users/usr_nobody", json={"plan": "builder"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "user_not_found"


async def test_the_user_list_pages_through_everyone(
    admin: httpx.AsyncClient, new_user: Callable[..., User]
) -> None:
    made = {new_user().user_id for _ in range(3)}
    seen: list[str] = []
    after = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": 7} | ({"after": after} if after else {})
        page = (await admin.get("/admin/users", params=params)).json()
        assert len(page["data"]) <= 7
        seen += [user["id"] for user in page["data"]]
        if not page["has_more"]:
            break
        after = page["next_cursor"]
    assert made <= set(seen) and len(seen) == len(set(seen))
