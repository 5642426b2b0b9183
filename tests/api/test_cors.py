"""CORS on the local platform's app, as CorsAllowedOrigins configures it: preflights from a
listed and an unlisted origin, credentials only for listed ones, errors carrying the headers
too; and GET /openapi.json and /docs, which need no key."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from openapi_spec_validator import validate

from switchboard.bootstrap import Container
from switchboard.local.platform import Platform

pytestmark = pytest.mark.anyio
LISTED = "https://console.example.com"
OTHER = "https://evil.example.net"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os",
}


@pytest.fixture
async def http(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=platform.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
def origins(services: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform's settings with two listed origins (one written with a trailing slash)."""
    listed = f"{LISTED}/ , https://other.example.org"
    settings = dataclasses.replace(services.settings, CORS_ALLOWED_ORIGINS=listed)
    monkeypatch.setitem(services.__dict__, "settings", settings)


async def test_a_listed_origins_preflight_is_answered_with_credentials(
    origins: None, http: httpx.AsyncClient
) -> None:
    answer = await http.options("/v1/chat/completions", headers={"Origin": LISTED, **PREFLIGHT})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == LISTED
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key", "x-stainless-os"):
        assert header in allowed
    assert answer.headers["access-control-max-age"] == "600"
    assert answer.headers["vary"] == "Origin"


async def test_an_unlisted_origins_preflight_is_refused_without_cors_headers(
    origins: None, http: httpx.AsyncClient
) -> None:
    answer = await http.options("/v1/models", headers={"Origin": OTHER, **PREFLIGHT})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "cors_origin_not_allowed"
    assert not any(name.startswith("access-control-") for name in answer.headers)


async def test_no_origin_is_listed_by_default(http: httpx.AsyncClient) -> None:
    answer = await http.options("/v1/models", headers={"Origin": LISTED, **PREFLIGHT})
    assert answer.status_code == 403
    plain = await http.get("/health", headers={"Origin": LISTED})
    assert plain.status_code == 200
    assert not any(name.startswith("access-control-") for name in plain.headers)


async def test_answers_and_errors_to_a_listed_origin_carry_cors_headers(
    origins: None, http: httpx.AsyncClient
) -> None:
    ok = await http.get("/health", headers={"Origin": LISTED})
    unauthenticated = await http.get("/v1/models", headers={"Origin": LISTED})
    unknown = await http.get("/v1/nothing-here", headers={"Origin": LISTED})
    assert (ok.status_code, unauthenticated.status_code, unknown.status_code) == (200, 401, 404)
    for answer in (ok, unauthenticated, unknown):
        assert answer.headers["access-control-allow-origin"] == LISTED
        assert answer.headers["access-control-allow-credentials"] == "true"
        assert "x-request-id" in answer.headers["access-control-expose-headers"]
        assert "Origin" in answer.headers["vary"]


async def test_answers_to_an_unlisted_origin_carry_no_cors_headers(
    origins: None, http: httpx.AsyncClient
) -> None:
    answer = await http.get("/v1/models", headers={"Origin": OTHER})
    assert answer.status_code == 401
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-credentials" not in answer.headers
    assert answer.headers["vary"] == "Origin"


async def test_a_plain_options_request_is_not_a_preflight(
    origins: None, http: httpx.AsyncClient
) -> None:
    answer = await http.options("/v1/models", headers={"Origin": LISTED})
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert answer.headers["access-control-allow-origin"] == LISTED


async def test_the_document_and_its_viewer_need_no_key(http: httpx.AsyncClient) -> None:
    document = await http.get("/openapi.json")
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/json"
    body = document.json()
    validate(body)
    assert "/openapi.json" in body["paths"] and "/v1/chat/completions" in body["paths"]
    page = await http.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace("http-equiv", "")  # every asset is our own
    for asset, media in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        served = await http.get(f"/docs/{asset}")
        assert served.status_code == 200 and media in served.headers["content-type"]
    missing = await http.get("/docs/secrets.txt")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_url"
