"""URLs that a client hands us to fetch (a video's input images; later, a URL-fetch tool),
held to one rule: https only, and every address the host resolves to is public. Private,
loopback, link-local (cloud metadata at 169.254.169.254 among them), shared, multicast,
reserved and unspecified addresses are refused, in IPv4 and IPv6 (IPv4-mapped ones too).

    urls = SafeUrls()
    urls.check("https://images.example/cat.png")          # InvalidRequestError if refused
    data = await urls.fetch(url, client, max_bytes=...)    # each redirect checked again

`fetch` connects to the address it checked (the host name goes in the Host header and in
TLS's SNI, so the certificate is still verified for the name): a name that resolves to a
public address when checked and to a private one a moment later (DNS rebinding) is never
followed there. Redirects are followed by hand, each hop checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from switchboard.errors import InvalidRequestError, UpstreamError

if TYPE_CHECKING:
    import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
_METADATA = ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
# Cloud metadata services (AWS's IPv4 and IPv6, Alibaba's): refused even if routed publicly.
METADATA = {ipaddress.ip_address(a) for a in _METADATA}
MAX_REDIRECTS = 3


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: Address) -> bool:
    """Whether an address is on the public internet (and not a metadata service)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA


class SafeUrls:
    def __init__(self, resolver: Resolver = resolve, *, param: str = "input_images") -> None:
        self._resolve = resolver
        self._param = param

    def check(self, url: str) -> str:
        """The public address `url` is fetched from; InvalidRequestError if it is refused."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise self._refused(url, "only https URLs are accepted")
        if parts.username or parts.password:
            raise self._refused(url, "URLs must not carry credentials")
        try:
            port = parts.port or 443
            found = self._resolve(parts.hostname, port)
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        except (OSError, ValueError, UnicodeError):
            raise self._refused(url, "its host cannot be resolved") from None
        if not addresses:
            raise self._refused(url, "its host cannot be resolved")
        if not all(is_public(address) for address in addresses):
            raise self._refused(url, "its host is not a public address")
        return str(addresses[0])

    async def fetch(self, url: str, client: httpx.AsyncClient, *, max_bytes: int) -> bytes:
        """The body at `url`, at most `max_bytes`, following at most MAX_REDIRECTS redirects
        (each checked); UpstreamError when it cannot be had."""
        for _ in range(MAX_REDIRECTS + 1):
            target, extra = _pinned(url, self.check(url))
            async with client.stream("GET", target, follow_redirects=False, **extra) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise UpstreamError(f"Fetching an input image answered {response.status_code}.")
                return await _read(response, max_bytes)
        raise UpstreamError("Fetching an input image was redirected too many times.")

    def _refused(self, url: str, why: str) -> InvalidRequestError:
        shown = url if len(url) <= 200 else url[:200] + "..."
        return InvalidRequestError(
            f"The URL '{shown}' is refused: {why}.", param=self._param, code="invalid_url"
        )


def _pinned(url: str, address: str) -> tuple[str, dict[str, Any]]:
    """The URL with its host replaced by `address`, and the name kept for Host and SNI."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    pinned = parts._replace(netloc=netloc).geturl()
    extra = {"headers": {"Host": parts.netloc}, "extensions": {"sni_hostname": host}}
    return pinned, extra


async def _read(response: httpx.Response, max_bytes: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data.extend(chunk)
        if len(data) > max_bytes:
            raise UpstreamError(f"An input image is larger than {max_bytes} bytes.")
    return bytes(data)
