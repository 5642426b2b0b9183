"""Request ids: always the server's own (API Gateway's, or a new one), never the client's;
a client's own id is echoed under x-client-request-id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from switchboard.api.app import create_app
from switchboard.api.request_id import under_web_adapter
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.local.platform import Platform

pytestmark = pytest.mark.anyio
CHAT = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}
GATEWAY_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
CONTEXT = json.dumps({"requestId": GATEWAY_ID, "stage": "prod"})


@pytest.fixture
async def anonymous(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=platform.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def test_every_response_has_our_own_request_id(anonymous: httpx.AsyncClient) -> None:
    ok = await anonymous.get("/health")
    failed = await anonymous.get("/v1/models")
    assert ok.headers["x-request-id"].startswith("req_")
    assert failed.headers["x-request-id"].startswith("req_")
    assert failed.headers["x-request-id"] != ok.headers["x-request-id"]
    assert "x-client-request-id" not in ok.headers


@pytest.mark.parametrize("header", ["x-request-id", "X-Client-Request-Id"])
async def test_a_clients_id_is_echoed_but_never_ours(
    anonymous: httpx.AsyncClient, header: str
) -> None:
    response = await anonymous.get("/health", headers={header: "trace-123"})
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["x-client-request-id"] == "trace-123"


@pytest.mark.parametrize("value", [b"x" * 513, b"caf\xc3\xa9", b"a\x01b", b"a\tb"])
async def test_unusable_client_ids_are_dropped(anonymous: httpx.AsyncClient, value: bytes) -> None:
    response = await anonymous.get("/health", headers={"x-client-request-id": value})
    assert response.headers["x-request-id"].startswith("req_")
    assert "x-client-request-id" not in response.headers


async def test_the_longest_client_id_is_echoed(anonymous: httpx.AsyncClient) -> None:
    given = "a" * 512
    response = await anonymous.get("/health", headers={"x-client-request-id": given})
    assert response.headers["x-client-request-id"] == given


async def test_a_forged_request_context_is_ignored_outside_the_web_adapter(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get("/health", headers={"x-amzn-request-context": CONTEXT})
    assert response.headers["x-request-id"].startswith("req_")


async def test_the_ledger_stores_our_id_not_the_clients(
    open_client: Callable[..., Any],
    accounts: Any,
    new_user: Callable[..., User],
    services: Container,
) -> None:
    user = new_user()
    async with open_client(accounts.issue_key(user, "k").secret) as http:
        response = await http.post(
            "/v1/chat/completions", json=CHAT, headers={"x-request-id": "forged-id"}
        )
    assert response.status_code == 200, response.text
    ours = response.headers["x-request-id"]
    stored = {e.request_id for e in services.ledger_repo.entries(user.user_id) if e.request_id}
    assert stored == {ours}


def request_id_app() -> httpx.AsyncClient:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.state.request_id)

    app = create_app([Route("/id", echo)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_under_the_web_adapter_its_request_context_is_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The adapter replaces any x-amzn-request-context a client sent with its own."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "InferenceFunction")
    monkeypatch.setenv("AWS_LWA_PORT", "8000")
    async with request_id_app() as http:
        response = await http.get("/id", headers={"x-amzn-request-context": CONTEXT})
        assert response.text == response.headers["x-request-id"] == GATEWAY_ID
        for unusable in ("null", "{not json", '{"stage": "prod"}'):  # null: a pass-through event
            response = await http.get("/id", headers={"x-amzn-request-context": unusable})
            assert response.text.startswith("req_")


def test_only_lambda_with_the_adapter_counts_as_under_the_adapter() -> None:
    name = {"AWS_LAMBDA_FUNCTION_NAME": "InferenceFunction"}
    assert under_web_adapter(name | {"AWS_LWA_PORT": "8000"})
    assert under_web_adapter(name | {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"})
    assert not under_web_adapter(name)  # a Mangum function
    assert not under_web_adapter({"AWS_LWA_PORT": "8000"})  # not in Lambda
    assert not under_web_adapter({})
