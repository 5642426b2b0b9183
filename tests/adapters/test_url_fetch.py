"""The url_fetch tool (tools/url_fetch.py over adapters/safe_urls.py): SSRF attempts are
refused in words the model can pass on, a refused host is never connected to, redirects are
checked, and the connection goes to the address that was checked (DNS rebinding fails)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from switchboard.adapters.safe_urls import SafeUrls
from switchboard.tools.url_fetch import UrlFetchTool
from tests.support.fake_upstream import serve_in_thread

pytestmark = pytest.mark.anyio
PUBLIC = "93.184.215.14"
PAGE = (
    "<html><head><title>Hello</title><script>secret()</script></head>"
    "<body><p>Visible text</p></body></html>"
)


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, list[str]]]:
    """A web server on loopback: its base (http://127.0.0.1:PORT) and the paths it served."""
    served: list[str] = []

    async def page(request: Request) -> Response:
        served.append(request.url.path)
        return HTMLResponse(PAGE)

    async def redirect(request: Request) -> Response:
        served.append(request.url.path)
        return RedirectResponse(request.query_params["to"], status_code=302)

    app = Starlette(routes=[Route("/page", page), Route("/redirect", redirect)])
    with serve_in_thread(app) as base_url:
        yield base_url.removesuffix("/v1"), served


def tool(table: dict[str, list[str]], allowed: tuple[str, ...] = (), **kw: Any) -> UrlFetchTool:
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        answers = table.get(host)
        if answers is None:
            raise OSError("no such host")
        return [answers.pop(0)] if len(answers) > 1 else answers

    urls = SafeUrls(resolve, param="url", schemes=("http", "https"), allowed=allowed)
    fetch = UrlFetchTool(urls, kw.get("client") or (lambda: httpx.AsyncClient(timeout=5)))
    fetch.resolved = calls  # type: ignore[attr-defined]
    return fetch


async def fetched(fetch: UrlFetchTool, url: str) -> str:
    return (await fetch.run({"url": url})).content


async def test_an_allowed_host_is_fetched_from_the_checked_address_as_text(
    site: tuple[str, list[str]],
) -> None:
    base, _ = site
    port = base.rsplit(":", 1)[1]
    # site.test exists in no DNS: reaching it proves the connection went to the address checked
    fetch = tool({"site.test": ["127.0.0.1"]}, allowed=("127.0.0.1/32",))
    text = await fetched(fetch, f"http://site.test:{port}/page")
    assert text == "Title: Hello\n\nVisible text"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "169.254.169.254", "[::ffff:127.0.0.1]", "0.0.0.0", "127.1", "2130706433",
     "0x7f.0.0.1", "017700000001", "[::1]", "[fd00:ec2::254]", "localhost"],
)  # fmt: skip
async def test_private_and_numeric_hosts_are_refused_unconnected(
    site: tuple[str, list[str]], host: str
) -> None:
    base, served = site
    port = base.rsplit(":", 1)[1]
    before = len(served)
    text = await fetched(tool({"localhost": ["127.0.0.1"]}), f"http://{host}:{port}/page")
    assert text.startswith("Error: ") and "not a public address" in text
    assert len(served) == before


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
async def test_other_schemes_are_refused(url: str) -> None:
    assert "only http and https" in await fetched(tool({}), url)


async def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    text = await fetched(tool({"internal.test": [PUBLIC, "10.0.0.5"][1:]}), "http://internal.test/")
    assert "not a public address" in text


async def test_a_redirect_to_a_private_address_is_refused(site: tuple[str, list[str]]) -> None:
    base, served = site
    port = base.rsplit(":", 1)[1]
    fetch = tool({"site.test": ["127.0.0.1"], "inside.test": ["10.1.2.3"]}, allowed=("site.test",))
    for target in ("http://inside.test/x", f"http://127.0.0.1:{port}/page"):
        before = len(served)
        text = await fetched(fetch, f"http://site.test:{port}/redirect?to={target}")
        assert "not a public address" in text
        assert served[before:] == ["/redirect"]  # the redirect was served, its target not


async def test_rebinding_fails_the_host_is_resolved_once_and_its_checked_address_used() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="public page", headers={"content-type": "text/plain"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    fetch = tool({"rebind.test": [PUBLIC, "127.0.0.1"]}, client=lambda: client)
    assert await fetched(fetch, "http://rebind.test/a") == "public page"
    assert [str(r.url) for r in seen] == [f"http://{PUBLIC}/a"]
    assert fetch.resolved == ["rebind.test"]  # type: ignore[attr-defined]
    assert seen[0].headers["host"] == "rebind.test"


async def test_size_and_redirect_limits_are_the_tools_answer() -> None:
    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 3_000_000, headers={"content-type": "text/plain"})

    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "/again"})

    for handler, words in ((big, "larger than"), (loop, "redirected too many times")):
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        fetch = tool({"big.test": [PUBLIC]}, client=lambda c=client: c)
        assert words in await fetched(fetch, "http://big.test/")
