"""Hostile bodies on every route that reads one: a clear 400 in the envelope, never a 500
(or a 503 that SDKs would retry), and nothing held or stored.

The routes come from template.yaml (the platform's route table), so a route added there is
attacked here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.api.requests import MAX_JSON_DEPTH
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.local.platform import DEV_USER_ID, Platform
from tests.api.test_app_inference import new_app
from tests.conftest import TEST_DEV_KEY
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
NO_BODY = {  # reads no body: hostile bytes are nothing to it
    ("POST", "/auth/logout"),
    ("POST", "/v1/batches/{batch_id}/cancel"),
    ("POST", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel"),
    ("POST", "/v1/videos/completions/{job_id}/cancel"),
    ("POST", "/v1/{app_id}/videos/completions/{job_id}/cancel"),
}
MULTIPART = {("POST", "/v1/files")}  # reads a form: any JSON is the wrong content type (400)

NESTED_ARRAYS = "[" * 10_000 + "]" * 10_000
NESTED_OBJECTS = '{"a":' * 10_000 + "1" + "}" * 10_000
DEEP_EXTRA = (
    '{"model": "local-chat", "messages": [{"role": "user", "content": "hi"}], "extra": '
    + "[" * 1000
    + "]" * 1000
    + "}"
)
JUST_TOO_DEEP = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)


def body_routes(platform: Platform, app_id: str) -> list[tuple[str, str]]:
    """Every POST and PUT the template declares that reads a body, with real path ids."""
    ids = {"{app_id}": app_id, "{user_id}": DEV_USER_ID, "{key_id}": "key_none"}
    routes = []
    for method, path, _ in platform.routes:
        if method in ("POST", "PUT") and (method, path) not in NO_BODY | MULTIPART:
            for name, value in ids.items():
                path = path.replace(name, value)
            routes.append((method, path))
    return routes


@pytest.fixture
async def admin(open_client: Any) -> Any:
    async with open_client(TEST_DEV_KEY) as http:
        yield http


@pytest.mark.parametrize(
    "raw",
    [NESTED_ARRAYS, NESTED_OBJECTS, DEEP_EXTRA, JUST_TOO_DEEP],
    ids=["arrays-10000", "objects-10000", "extra-field-1000", f"depth-{MAX_JSON_DEPTH + 1}"],
)
async def test_deep_nesting_is_a_400_on_every_body_route(
    platform: Platform, admin: httpx.AsyncClient, raw: str
) -> None:
    app_id = await new_app(admin)
    for method, path in body_routes(platform, app_id):
        response = await admin.request(
            method, path, content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (method, path, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_json" and "nested too deeply" in error["message"]


async def test_nesting_within_the_limit_is_read(admin: httpx.AsyncClient) -> None:
    """MAX_JSON_DEPTH levels (the body counting one) reach validation, which names the field."""
    nested: Any = "x"
    for _ in range(MAX_JSON_DEPTH - 4):
        nested = [nested]
    body = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}], "x": nested}
    response = await admin.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text


SURROGATE_BODIES = {
    ("POST", "/apps"): '{"name": "a\\ud800"}',
    ("POST", "/auth/login"): '{"email": "a\\ud800@example.com", "password": "long enough pw"}',
    ("POST", "/admin/users"): (
        '{"email": "x\\udfff@example.com", "first_name": "A", "last_name": "B", "credits_usd": "1"}'
    ),
    ("POST", "/user/apikeys"): '{"label": "\\udc80"}',
    ("PUT", "/v1/{app_id}/ai/config"): '{"defaultModel": "\\ud800", "allowedModels": ["\\ud800"]}',
    ("POST", "/v1/embeddings"): '{"model": "local-e5-small", "input": ["ok", "\\ud800"]}',
    ("POST", "/v1/chat/completions"): (
        '{"model": "local-chat", "messages": [{"role": "user", "content": "\\ud800"}]}'
    ),
}


@pytest.mark.parametrize(("route", "raw"), list(SURROGATE_BODIES.items()), ids=str)
async def test_a_lone_surrogate_is_a_400_anywhere(
    admin: httpx.AsyncClient, route: tuple[str, str], raw: str
) -> None:
    method, path = route
    if "{app_id}" in path:
        path = path.replace("{app_id}", await new_app(admin))
    response = await admin.request(
        method, path, content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "surrogate" in response.json()["error"]["message"]


async def test_a_surrogate_in_a_key_or_a_password_is_a_400_too(
    admin: httpx.AsyncClient, services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    login = '{"email": "a@example.com", "password": "pass\\ud800word!"}'
    key = '{"model": "local-chat", "messages": [{"role": "user", "content": "hi", "\\ud800": 1}]}'
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        for path, raw in [("/auth/login", login), ("/v1/chat/completions", key)]:
            response = await http.post(
                path, content=raw, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400, response.text
    assert ledger_state(services.ledger_repo, user.user_id) == (1_000_000, ["top_up"])


async def test_a_body_that_is_not_utf8_is_a_400(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/apps", content=b'{"name": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_new_users_need_a_name(admin: httpx.AsyncClient) -> None:
    body = {"email": f"{uuid.uuid4().hex}@example.com", "credits_usd": "1"}
    for first, last in [("", "Hopper"), ("Grace", " ")]:
        response = await admin.post(
            "/admin/users", json=body | {"first_name": first, "last_name": last}
        )
        assert response.status_code == 400
