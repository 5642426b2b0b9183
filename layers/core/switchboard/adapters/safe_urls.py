"""URLs that a client (or a model) hands us to fetch (a video's input images, the url_fetch
tool), held to one rule: https only (or the schemes given: url_fetch allows http too), and
every address the host resolves to is public. Private, loopback, link-local (cloud metadata
at 169.254.169.254 among them), shared, multicast, reserved and unspecified addresses are
refused, in IPv4 and IPv6 (IPv4-mapped ones too). A numeric host in any form the C library
accepts (`127.1`, `2130706433`, `0x7f.1`, `017700000001`) is read as the address it names,
never handed to a resolver. An operator's allowlist (`allowed`: host names, addresses or
networks) admits hosts the rule would refuse: for tests and private deployments.

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

import anyio.to_thread

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


def numeric_host(host: str) -> Address | None:
    """The address a numeric host names, in any form inet_aton accepts (one to four parts,
    each decimal, octal with a leading 0, or hex with 0x), or an IPv6 literal; else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        values = [
            int(p, 16)
            if p.lower().startswith("0x")
            else int(p, 8 if p[:1] == "0" and p != "0" else 10)
            for p in parts
        ]
    except ValueError:
        return None
    *head, last = values
    if any(not 0 <= v <= 255 for v in head) or not 0 <= last < 256 ** (5 - len(values)):
        return None
    number = sum(v << (8 * (3 - i)) for i, v in enumerate(head)) + last
    return ipaddress.IPv4Address(number)


class SafeUrls:
    def __init__(
        self,
        resolver: Resolver = resolve,
        *,
        param: str = "input_images",
        schemes: tuple[str, ...] = ("https",),
        allowed: tuple[str, ...] = (),
    ) -> None:
        self._resolve = resolver
        self._param = param
        self._schemes = schemes
        self._allowed_names = {a.lower() for a in allowed if numeric_network(a) is None}
        self._allowed_nets = [n for a in allowed if (n := numeric_network(a)) is not None]

    def check(self, url: str) -> str:
        """The public address `url` is fetched from; InvalidRequestError if it is refused."""
        parts = urlsplit(url)
        if parts.scheme not in self._schemes or not parts.hostname:
            raise self._refused(url, f"only {' and '.join(self._schemes)} URLs are accepted")
        if parts.username or parts.password:
            raise self._refused(url, "URLs must not carry credentials")
        addresses = self._addresses(url, parts.hostname, parts.port)
        if parts.hostname.lower() in self._allowed_names:
            return str(addresses[0])
        if not all(is_public(a) or self._allowed_address(a) for a in addresses):
            raise self._refused(url, "its host is not a public address")
        return str(addresses[0])

    def _addresses(self, url: str, host: str, port: int | None) -> list[Address]:
        literal = numeric_host(host)
        if literal is not None:
            return [literal]
        try:
            found = self._resolve(host, port or (443 if url.startswith("https") else 80))
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        except (OSError, ValueError, UnicodeError):
            raise self._refused(url, "its host cannot be resolved") from None
        if not addresses:
            raise self._refused(url, "its host cannot be resolved")
        return addresses

    def _allowed_address(self, address: Address) -> bool:
        return any(address in network for network in self._allowed_nets)

    async def fetch(self, url: str, client: httpx.AsyncClient, *, max_bytes: int) -> bytes:
        """The body at `url`, at most `max_bytes`, following at most MAX_REDIRECTS redirects
        (each checked); UpstreamError when it cannot be had."""
        return (await self.fetch_document(url, client, max_bytes=max_bytes))[0]

    async def fetch_document(
        self, url: str, client: httpx.AsyncClient, *, max_bytes: int, what: str = "an input image"
    ) -> tuple[bytes, str]:
        """The body at `url` and its content type, as `fetch`; `what` names it in errors."""
        for _ in range(MAX_REDIRECTS + 1):
            address = await anyio.to_thread.run_sync(self.check, url)  # the resolver blocks
            target, extra = _pinned(url, address)
            async with client.stream("GET", target, follow_redirects=False, **extra) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise UpstreamError(f"Fetching {what} answered {response.status_code}.")
                kind = response.headers.get("content-type", "")
                return await _read(response, max_bytes, what), kind
        raise UpstreamError(f"Fetching {what} was redirected too many times.")

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


async def _read(response: httpx.Response, max_bytes: int, what: str) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data.extend(chunk)
        if len(data) > max_bytes:
            raise UpstreamError(f"{what[0].upper()}{what[1:]} is larger than {max_bytes} bytes.")
    return bytes(data)


def numeric_network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An allowlist entry that is an address or a network (CIDR); None for a host name."""
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return None
