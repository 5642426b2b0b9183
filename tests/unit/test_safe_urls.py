"""adapters/safe_urls.py: https only, every resolved address public, each redirect checked,
and the connection made to the address that was checked."""

from __future__ import annotations

import httpx
import pytest

from switchboard.adapters.safe_urls import SafeUrls
from switchboard.errors import InvalidRequestError, UpstreamError

pytestmark = pytest.mark.anyio
PUBLIC = "93.184.215.14"


def urls(table: dict[str, list[str]]) -> SafeUrls:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return SafeUrls(resolve)


@pytest.mark.parametrize(
    ("url", "addresses", "why"),
    [
        ("http://img.example/a.png", [PUBLIC], "https"),
        ("https://user:pw@img.example/a.png", [PUBLIC], "credentials"),
        ("https://nowhere.example/a.png", None, "resolved"),
        ("https://img.example/a.png", ["127.0.0.1"], "public"),
        ("https://img.example/a.png", ["10.1.2.3"], "public"),
        ("https://img.example/a.png", ["192.168.0.9"], "public"),
        ("https://img.example/a.png", ["169.254.169.254"], "public"),  # cloud metadata
        ("https://img.example/a.png", ["100.100.100.200"], "public"),
        ("https://img.example/a.png", ["100.64.0.1"], "public"),  # shared address space
        ("https://img.example/a.png", ["0.0.0.0"], "public"),
        ("https://img.example/a.png", ["::1"], "public"),
        ("https://img.example/a.png", ["fe80::1"], "public"),
        ("https://img.example/a.png", ["fd00:ec2::254"], "public"),
        ("https://img.example/a.png", ["::ffff:127.0.0.1"], "public"),  # IPv4-mapped
        ("https://img.example/a.png", ["224.0.0.1"], "public"),
        ("https://img.example/a.png", [PUBLIC, "10.0.0.1"], "public"),  # every address counts
    ],
)
def test_refused(url: str, addresses: list[str] | None, why: str) -> None:
    table = {} if addresses is None else {"img.example": addresses}
    with pytest.raises(InvalidRequestError, match=why) as caught:
        urls(table).check(url)
    assert caught.value.param == "input_images" and caught.value.code == "invalid_url"


def test_a_public_https_url_is_fetched_from_the_address_checked() -> None:
    assert (
        urls({"img.example": [PUBLIC, "2606:2800:21f:cb07::1"]}).check("https://img.example/a.png")
        == PUBLIC
    )


async def test_fetch_pins_the_address_and_keeps_the_name_for_host_and_sni() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"\x89PNG")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        data = await urls({"img.example": [PUBLIC]}).fetch(
            "https://img.example:8443/a.png?x=1", client, max_bytes=100
        )
    assert data == b"\x89PNG"
    assert str(seen[0].url) == f"https://{PUBLIC}:8443/a.png?x=1"
    assert seen[0].headers["host"] == "img.example:8443"
    assert seen[0].extensions["sni_hostname"] == "img.example"


async def test_a_redirect_to_a_private_address_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://inside.example/secret"})

    guard = urls({"img.example": [PUBLIC], "inside.example": ["10.0.0.7"]})
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(InvalidRequestError, match="public"):
            await guard.fetch("https://img.example/a.png", client, max_bytes=100)


async def test_too_many_redirects_and_too_many_bytes_are_upstream_errors() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "/again"})

    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 101)

    guard = urls({"img.example": [PUBLIC]})
    for transport, words in ((loop, "redirected"), (big, "larger")):
        async with httpx.AsyncClient(transport=httpx.MockTransport(transport)) as client:
            with pytest.raises(UpstreamError, match=words):
                await guard.fetch("https://img.example/a.png", client, max_bytes=100)
