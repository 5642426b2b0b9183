"""The `url_fetch` tool: a page's text, fetched under adapters/safe_urls.py's rule.

http and https only; the host resolved once and every address checked (private, loopback,
link-local, unique-local, multicast, unspecified, cloud metadata, IPv4-mapped IPv6 and
numeric forms such as `127.1` are refused); the connection made to the checked address;
every redirect (at most 3) checked the same way; at most MAX_BYTES read within
TIMEOUT_SECONDS. HTML is reduced to its text (domain/html_text.py), and the text to
MAX_CHARS characters. A refusal or failure is the tool's answer, never the request's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from switchboard.domain.html_text import html_text
from switchboard.domain.tools import ToolContext, ToolResult
from switchboard.errors import SwitchboardError

if TYPE_CHECKING:
    import httpx

    from switchboard.adapters.safe_urls import SafeUrls

MAX_BYTES = 2_000_000
MAX_CHARS = 20_000
TIMEOUT_SECONDS = 10.0
_TEXTUAL = ("text/", "application/json", "application/xml", "application/xhtml")


class UrlFetchTool:
    name = "url_fetch"
    description = (
        "Fetch a public web page (http or https) and return its text. Private and internal "
        "addresses are refused."
    )
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"url": {"type": "string", "description": "the page's full URL"}},
        "required": ["url"],
    }

    def __init__(
        self,
        urls: SafeUrls,
        client: Callable[[], httpx.AsyncClient],
        *,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        self._urls = urls
        self._client = client
        self._timeout = timeout_seconds

    async def run(
        self, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> ToolResult:
        url = arguments.get("url")
        if not isinstance(url, str) or not url.strip():
            return ToolResult("Error: give the URL to fetch as a string.")
        try:
            title, text = await self.page(url.strip())
        except SwitchboardError as exc:
            return ToolResult(f"Error: {exc.message}")
        heading = f"Title: {title}\n\n" if title else ""
        return ToolResult(heading + text)

    async def page(self, url: str) -> tuple[str, str]:
        """The page's title and text (raises SwitchboardError when it cannot be had)."""
        fetching = self._urls.fetch_document(
            url, self._client(), max_bytes=MAX_BYTES, what="the page"
        )
        try:
            data, kind = await asyncio.wait_for(fetching, self._timeout)
        except TimeoutError:
            return "", f"Error: the page did not answer within {self._timeout:g} seconds."
        kind = kind.lower()
        if kind and not kind.startswith(_TEXTUAL):
            return "", f"The page is not text (its type is {kind.split(';')[0]})."
        text = data.decode(_charset(kind), errors="replace")
        if "html" in kind or text.lstrip()[:1] == "<":
            title, text = html_text(text)
        else:
            title = ""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS] + f"\n[cut at {MAX_CHARS} characters]"
        return title, text


def _charset(kind: str) -> str:
    for part in kind.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"
