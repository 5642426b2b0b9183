"""Login sessions through the platform's ASGI app: the cookie, cookie auth, logout, /auth/me."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import jwt
import pytest

from switchboard.api.routes.sessions import session_cookie
from switchboard.bootstrap import Container
from switchboard.domain.account_changes import NewUser
from switchboard.domain.accounts import User
from switchboard.domain.money import usd_to_micro
from switchboard.services.accounts import AccountService
from switchboard.services.passwords import hash_password
from tests.conftest import OpenClient

pytestmark = pytest.mark.anyio
PASSWORD = "s3cret-enough"


@pytest.fixture
def person(accounts: AccountService) -> User:
    """A user with a password and $3 of credit."""
    email = f"{uuid.uuid4().hex}@example.com"
    credit = usd_to_micro(3)
    return accounts.create_user(
        NewUser(
            email, "A", "B", opening_balance_micro_usd=credit, password_hash=hash_password(PASSWORD)
        )
    )


@pytest.fixture
def browser(open_client: OpenClient) -> Callable[..., Any]:
    """An httpx client with no key: it keeps cookies, as a browser would over http."""
    return lambda cookie=None: open_client(cookie=cookie)


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/auth/login", json={"email": email, "password": password})


async def test_login_sets_a_session_cookie_and_shows_the_user(
    browser: Any, person: User, services: Container
) -> None:
    async with browser() as http:
        response = await login(http, person.email.upper())
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0] == f"token={response.cookies['token']}"
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)
    assert f"Max-Age={services.settings.SESSION_TTL_SECONDS}" in attributes
    assert "Secure" not in attributes  # the local platform serves plain http
    assert response.json() == {
        "id": person.user_id,
        "email": person.email,
        "first_name": "A",
        "last_name": "B",
        "role": "user",
        "plan": "maker",
        "token_balance": 3_000_000,
        "credits_usd": "3.000000",
        "created_at": int(person.created_at.timestamp()),
    }


def test_the_cookie_is_secure_unless_settings_say_otherwise() -> None:
    assert session_cookie("abc", 60, secure=True).split("; ") == [
        "token=abc",
        "HttpOnly",
        "Max-Age=60",
        "Path=/",
        "SameSite=Lax",
        "Secure",
    ]
    cleared = session_cookie("", 0, secure=True)
    assert "Max-Age=0" in cleared and "Secure" in cleared


async def test_the_cookie_authenticates_me_and_inference_routes(browser: Any, person: User) -> None:
    async with browser() as http:
        await login(http, person.email)
        me = await http.get("/auth/me")
        models = await http.get("/v1/models")
    assert me.status_code == 200 and me.json()["id"] == person.user_id
    assert models.status_code == 200 and models.json()["object"] == "list"


async def test_logout_clears_the_cookie_and_revokes_the_token(browser: Any, person: User) -> None:
    async with browser() as http:
        token = (await login(http, person.email)).cookies["token"]
        response = await http.post("/auth/logout")
        assert response.status_code == 204
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert (await http.get("/auth/me")).status_code == 401  # the cookie is gone
    async with browser(token) as replay:
        response = await replay.get("/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert response.json()["error"]["code"] == "invalid_session"


@pytest.mark.parametrize("cookie", [None, "", "garbage"])
async def test_logout_is_idempotent(browser: Any, cookie: str | None) -> None:
    async with browser(cookie) as http:
        response = await http.post("/auth/logout")
    assert response.status_code == 204
    assert response.headers["set-cookie"].startswith("token=;")


async def test_wrong_password_and_unknown_email_answer_the_same(browser: Any, person: User) -> None:
    async with browser() as http:
        wrong = await login(http, person.email, "not the password")
        unknown = await login(http, f"nobody-{uuid.uuid4().hex}@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["type"] == "authentication_error"
    assert "set-cookie" not in wrong.headers


async def test_login_needs_an_email_and_a_password(browser: Any) -> None:
    async with browser() as http:
        response = await http.post("/auth/login", json={"email": "a@example.com"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "password"


@pytest.mark.parametrize("forgery", ["wrong key", "alg none", "expired"])
async def test_forged_or_expired_cookies_are_refused(
    browser: Any, person: User, services: Container, forgery: str
) -> None:
    now = int(time.time())
    claims = {"sub": person.user_id, "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
    claims |= {"role": "admin", "plan": "enterprise"}
    key = services.session_secret.get()
    token = {
        "wrong key": lambda: jwt.encode(claims, "x" * 64, algorithm="HS256"),
        "alg none": lambda: jwt.encode(claims, None, algorithm="none"),
        "expired": lambda: jwt.encode(claims | {"exp": now - 1}, key, algorithm="HS256"),
    }[forgery]()
    async with browser(token) as http:
        response = await http.get("/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_session"


async def test_me_with_a_bearer_key(client: httpx.AsyncClient) -> None:
    body = (await client.get("/auth/me")).json()
    assert body["credits_usd"] == "10.000000" and body["token_balance"] == 10_000_000
    assert isinstance(body["created_at"], int) and body["id"].startswith("usr_")


async def test_login_attempts_are_limited_per_email(open_client: OpenClient) -> None:
    email = f"{uuid.uuid4().hex}@example.com"
    async with open_client() as http:
        if time.time() % 60 > 50:  # one window for the whole test
            await anyio.sleep(61 - time.time() % 60)
        statuses = [
            (await http.post("/auth/login", json={"email": email, "password": "wrong-pw"}))
            for _ in range(11)
        ]
    assert [r.status_code for r in statuses] == [401] * 10 + [429]
    assert 1 <= int(statuses[-1].headers["retry-after"]) <= 60
