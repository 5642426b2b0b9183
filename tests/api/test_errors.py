"""Authentication and bad input: every failure is OpenAI's envelope with the right status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.clock import utcnow
from switchboard.domain.key_issuance import issue_key
from switchboard.domain.keys import hash_key
from switchboard.local.platform import Platform
from switchboard.services.accounts import AccountService
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
CHAT = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def anonymous(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=platform.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def assert_error(
    response: httpx.Response,
    status: int,
    kind: str,
    code: str | None = None,
    param: str | None = None,
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    assert body["error"]["type"] == kind and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    assert body["error"]["param"] == param
    assert_matches_spec(body, "ErrorResponse")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_credentials"),
        ({"Authorization": ""}, "missing_credentials"),
        ({"Authorization": "Bearer sb_wrong"}, "invalid_api_key"),
        ({"Authorization": "Basic abc"}, "invalid_api_key"),
        ({"Authorization": "Bearer "}, "invalid_api_key"),
    ],
)
async def test_missing_or_wrong_key_is_401(
    anonymous: httpx.AsyncClient, headers: dict[str, str], code: str
) -> None:
    for path in ("/v1/chat/completions", "/v1/embeddings"):
        assert_error(
            await anonymous.post(path, json=CHAT, headers=headers),
            401,
            "authentication_error",
            code,
        )
    assert_error(
        await anonymous.get("/v1/models", headers=headers), 401, "authentication_error", code
    )


async def test_key_is_stored_only_as_hash(
    accounts: AccountService, services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=0)
    issued = accounts.issue_key(user, "k")
    assert issued.secret.startswith("sb_") and len(issued.secret) >= 3 + 43
    stored = services.key_repo.get_by_hash(hash_key(issued.secret))
    assert stored is not None and stored.user_id == user.user_id
    assert issued.secret not in repr(stored)


async def test_revoked_and_expired_keys_fail(
    anonymous: httpx.AsyncClient, services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(balance_usd=0)
    for change, code in (
        ({"revoked_at": utcnow() - timedelta(seconds=1)}, "invalid_api_key"),
        ({"expires_at": utcnow() - timedelta(seconds=1)}, "api_key_expired"),  # it says when
    ):
        issued = issue_key(user_id=user.user_id, name="k", prefix="sb_", now=utcnow())
        services.key_repo.put(replace(issued.record, **change))  # type: ignore[arg-type]
        response = await anonymous.get(
            "/v1/models", headers={"Authorization": f"Bearer {issued.secret}"}
        )
        assert_error(response, 401, "authentication_error", code)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "local-chat"}, "messages"),
        ({"model": "local-chat", "messages": []}, "messages"),
        ({"model": "local-chat", "messages": "hi"}, "messages"),
        ({"model": "local-chat", "messages": [{"role": "robot", "content": "x"}]}, "messages[0]"),
        ({"model": "local-chat", "messages": [{"role": "user"}]}, "messages[0].content"),
        (
            {"model": "local-chat", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].tool_call_id",
        ),
        ({**CHAT, "temperature": 3}, "temperature"),
        ({**CHAT, "temperature": "hot"}, "temperature"),
        ({**CHAT, "top_p": -0.1}, "top_p"),
        ({**CHAT, "max_tokens": 0}, "max_tokens"),
        ({**CHAT, "max_tokens": 10**6}, "max_tokens"),
        ({**CHAT, "n": 0}, "n"),
        ({**CHAT, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({**CHAT, "stream": "yes"}, "stream"),
        ({**CHAT, "tool_choice": "required"}, "tool_choice"),
        ({**CHAT, "response_format": {"type": "yaml"}}, "response_format.type"),
        ({**CHAT, "model": ""}, "model"),
        (
            {"model": "local-chat", "messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "messages[0].content[0].text",
        ),
        (
            {"model": "local-chat", "messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "messages[0].content[0]",
        ),
        ({**CHAT, "stream_options": {"include_usage": True}}, "stream_options"),
        (
            {
                **CHAT,
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": {"type": "function", "function": {"name": "g"}},
            },
            "tool_choice",
        ),
        ({"model": "local-chat", "messages": [{"role": "assistant"}]}, "messages[0]"),
        ({**CHAT, "model": 7}, "model"),
    ],
)
async def test_bad_chat_input_is_a_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], param: str | None
) -> None:
    assert_error(
        await client.post("/v1/chat/completions", json=body),
        400,
        "invalid_request_error",
        param=param,
    )


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b"\xff\xfe", b'"text"'])
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/v1/chat/completions", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_request_error", "invalid_json")


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    huge = {**CHAT, "messages": [{"role": "user", "content": "x" * 6_100_000}]}
    assert_error(
        await client.post("/v1/chat/completions", json=huge),
        413,
        "invalid_request_error",
        "request_too_large",
    )


async def test_unknown_model_and_video_model(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/v1/chat/completions", json={**CHAT, "model": "nope"}),
        404,
        "invalid_request_error",
        "model_not_found",
        "model",
    )
    assert_error(
        await client.post("/v1/chat/completions", json={**CHAT, "model": "local-video"}),
        400,
        "invalid_request_error",
        "USE_VIDEO_ENDPOINT",
        "model",
    )
    assert_error(
        await client.post("/v1/chat/completions", json={**CHAT, "model": "local-embed"}),
        400,
        "invalid_request_error",
        "invalid_model_type",
        "model",
    )


async def test_context_window_is_enforced(client: httpx.AsyncClient) -> None:
    long = {"model": "fake-chat", "messages": [{"role": "user", "content": "word " * 17000}]}
    assert_error(
        await client.post("/v1/chat/completions", json=long),
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "messages",
    )


async def test_unknown_route_and_wrong_method(anonymous: httpx.AsyncClient) -> None:
    assert_error(
        await anonymous.get("/v1/nothing-here"), 404, "invalid_request_error", "unknown_url"
    )
    assert_error(
        await anonymous.delete("/v1/chat/completions"),
        405,
        "invalid_request_error",
        "method_not_allowed",
    )
    assert_error(
        await anonymous.get("/v1/chat/completions"),
        405,
        "invalid_request_error",
        "method_not_allowed",
    )
