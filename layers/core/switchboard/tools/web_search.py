"""The `web_search` tool, through the operator's search API: SearXNG's JSON API
(`GET {SEARCH_BASE_URL}?q=...&format=json`, results `[{url, title, content}]`) or Brave's
(`GET {SEARCH_BASE_URL}?q=...` with `X-Subscription-Token`, results under `web.results`
with `description`), by SEARCH_API_STYLE. The key is named by SEARCH_API_KEY: an environment
variable locally, a field of the upstream-keys secret in AWS. Each search costs
SEARCH_PRICE_USD (none by default), its own ledger entry. The results come back to the
caller as `url_citation` annotations. With no search API configured, the tool says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from switchboard.domain.tools import ToolContext, ToolResult, citation

if TYPE_CHECKING:
    import httpx

MAX_RESULTS = 5
NOT_CONFIGURED = (
    "Web search is not available: this Switchboard deployment has no search provider "
    "configured. Answer from what you know, and say that you could not search the web."
)


class WebSearchTool:
    name = "web_search"
    description = "Search the web; returns the top results' titles, URLs and snippets."
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "what to search for"}},
        "required": ["query"],
    }

    def __init__(
        self,
        client: Callable[[], httpx.AsyncClient],
        *,
        base_url: str,
        style: str = "searxng",
        api_key: Callable[[], str | None] = lambda: None,
        price_micro_usd: int = 0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._client = client
        self._base_url = base_url
        self._style = style
        self._api_key = api_key
        self._price = price_micro_usd
        self._timeout = timeout_seconds

    async def run(
        self, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> ToolResult:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            return ToolResult("Error: give the search query as a string.")
        if not self._base_url:
            return ToolResult(NOT_CONFIGURED)
        import httpx

        try:
            results = await self._search(query.strip())
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return ToolResult("Error: the search provider could not be reached or answered oddly.")
        if not results:
            return ToolResult(f"No results for {query!r}.", cost_micro_usd=self._price)
        lines = [
            f"{i}. {r['title']} <{r['url']}>\n{r['snippet']}" for i, r in enumerate(results, 1)
        ]
        citations = [citation(r["url"], r["title"]) for r in results]
        return ToolResult("\n\n".join(lines), citations, self._price)

    async def _search(self, query: str) -> list[dict[str, str]]:
        params = {"q": query, "count": str(MAX_RESULTS)}
        headers = {"Accept": "application/json"}
        key = self._api_key()
        if self._style == "brave":
            headers |= {"X-Subscription-Token": key} if key else {}
        else:
            params["format"] = "json"
            headers |= {"Authorization": f"Bearer {key}"} if key else {}
        response = await self._client().get(
            self._base_url, params=params, headers=headers, timeout=self._timeout
        )
        response.raise_for_status()
        data = response.json()
        items = data["web"]["results"] if self._style == "brave" else data["results"]
        snippet = "description" if self._style == "brave" else "content"
        return [
            {"url": str(item["url"]), "title": str(item.get("title") or item["url"]),
             "snippet": str(item.get(snippet) or "")[:500]}
            for item in items[:MAX_RESULTS]
        ]  # fmt: skip
