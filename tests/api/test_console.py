"""The console's pages and files (ConsoleFunction): public, relative, locked down by CSP.

Its behaviour in a browser is tests/browser's; here, what the function itself answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from switchboard.api.app import create_app
from switchboard.console import routes as console
from switchboard.console.routes import ASSETS, PAGES

pytestmark = pytest.mark.anyio


@pytest.fixture
async def anonymous() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(console.routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


async def test_the_root_goes_to_the_overview_relatively(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/console")
    assert response.status_code == 302
    assert response.headers["location"] == "console/overview"  # /Prod/console stays in /Prod


@pytest.mark.parametrize("page", [slug for slug, _ in PAGES] + ["login"])
async def test_every_page_is_a_shell_with_relative_links(
    anonymous: httpx.AsyncClient, page: str
) -> None:
    response = await anonymous.get(f"/console/{page}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert f'<body data-page="{page}">' in html
    assert not re.search(r'(href|src)="/', html)  # API Gateway's stage prefix keeps working
    assert "<script>" not in html  # no inline script (the CSP would refuse it)
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere
    assert (ASSETS / f"page-{page}.js").is_file()


async def test_admin_link_is_hidden_until_the_script_sees_an_admin(
    anonymous: httpx.AsyncClient,
) -> None:
    html = (await anonymous.get("/console/keys")).text
    assert '<li hidden data-nav="admin">' in html
    assert '<a href="keys" aria-current="page">' in html


async def test_assets_have_their_types(anonymous: httpx.AsyncClient) -> None:
    script = await anonymous.get("/console/assets/main.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    style = await anonymous.get("/console/assets/console.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize(
    "path", ["/console/nope", "/console/assets/nope.js", "/console/assets/routes.py",
             "/console/assets/..%2F__init__.py", "/console/assets/.hidden.js"],
)  # fmt: skip
async def test_anything_else_is_a_404_envelope(anonymous: httpx.AsyncClient, path: str) -> None:
    response = await anonymous.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_no_asset_loads_anything_from_elsewhere() -> None:
    for asset in ASSETS.iterdir():
        text = asset.read_text(encoding="utf-8")
        assert not re.search(r"(src|href|import[^;]*from)\s*=?\s*[\"']https?://", text), asset.name
        assert "cdn" not in text.lower(), asset.name
