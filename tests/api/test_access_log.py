"""One access-log line per request: route template, status, latency, request id, user id;
never a key, a cookie or a body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from switchboard.domain.accounts import User
from switchboard.local.platform import Platform
from tests.support.logs import access_lines, captured_logs

pytestmark = pytest.mark.anyio
SECRET_BODY = "my-private-prompt-text"


@pytest.fixture
async def anonymous(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=platform.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


@pytest.fixture
def user(new_user: Callable[..., User]) -> User:
    return new_user()


@pytest.fixture
def key(accounts: Any, user: User) -> str:
    return str(accounts.issue_key(user, "logged").secret)


async def test_a_request_is_one_line_with_its_route_template(
    open_client: Callable[..., Any], user: User, key: str
) -> None:
    async with open_client(key) as http:
        with captured_logs() as lines:
            response = await http.get("/v1/models/local-chat")
    assert response.status_code == 200
    [line] = access_lines(lines)
    assert line["message"] == "GET /v1/models/{model_id} 200"
    assert line["level"] == "INFO" and line["service"] == "switchboard"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/v1/models/{model_id}", 200)
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["user_id"] == user.user_id
    assert line["function_name"] == "CatalogFunction"
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert "first_byte_ms" not in line
    text = json.dumps(line)
    assert key not in text and "local-chat" not in text  # no key, no raw path


async def test_unauthenticated_and_failed_requests_are_logged_without_secrets(
    anonymous: httpx.AsyncClient,
) -> None:
    wrong_key = "sb_not_a_real_key_0123456789abcdefghijklmnopqrstuvwxyz"
    chat = {"model": "local-chat", "messages": [{"role": "user", "content": SECRET_BODY}]}
    with captured_logs() as lines:
        await anonymous.post(
            "/v1/chat/completions", json=chat, headers={"Authorization": f"Bearer {wrong_key}"}
        )
        await anonymous.get("/auth/me", headers={"Cookie": "token=cookie-secret-value"})
        await anonymous.get("/health", headers={"x-client-request-id": "trace-7"})
        await anonymous.get("/v1/no-such-route/secret-in-path")
    chat_line, me, health, unknown = access_lines(lines)
    assert (chat_line["route"], chat_line["status"]) == ("/v1/chat/completions", 401)
    assert (me["route"], me["status"]) == ("/auth/me", 401)
    assert (health["route"], health["status"]) == ("/health", 200)
    assert health["client_request_id"] == "trace-7"
    assert unknown["status"] == 404 and "route" not in unknown
    assert unknown["message"] == "GET - 404"
    assert not any("user_id" in line for line in (chat_line, me, health, unknown))
    text = json.dumps(lines)
    for secret in (wrong_key, "cookie-secret-value", SECRET_BODY, "secret-in-path"):
        assert secret not in text


async def test_a_stream_is_logged_when_it_ends_with_its_first_byte_time(
    open_client: Callable[..., Any], user: User, key: str
) -> None:
    """slow-stream: the fake upstream waits 300 ms between chunks."""
    chat = {
        "model": "slow-stream",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "max_tokens": 2,
    }
    async with open_client(key) as http:
        with captured_logs() as lines:
            response = await http.post("/v1/chat/completions", json=chat)
    assert response.status_code == 200 and response.text.rstrip().endswith("[DONE]")
    [line] = access_lines(lines)
    assert (line["route"], line["status"], line["user_id"]) == (
        "/v1/chat/completions",
        200,
        user.user_id,
    )
    assert line["function_name"] == "InferenceFunction"
    assert line["latency_ms"] - line["first_byte_ms"] >= 250  # logged at the end, not the start


async def test_lines_logged_during_a_request_carry_its_request_id(
    anonymous: httpx.AsyncClient,
) -> None:
    """The keys a request adds are taken off when it ends: nothing leaks into the next."""
    from switchboard.api.access_log import service_logger

    before = service_logger().thread_safe_get_current_keys()
    with captured_logs() as lines:
        response = await anonymous.get("/health")
        service_logger().info("after the request")
    assert access_lines(lines)[0]["request_id"] == response.headers["x-request-id"]
    assert "request_id" not in lines[-1]
    assert service_logger().thread_safe_get_current_keys() == before
