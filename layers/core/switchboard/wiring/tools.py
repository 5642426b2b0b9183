"""The container's built-in tools (tools/) and the chat tool loop that runs them."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.safe_urls import SafeUrls
    from switchboard.domain.tools import BuiltinTool
    from switchboard.services.tool_loop import ToolLoop


class ToolParts(CoreParts):
    @cached_property
    def builtin_tools(self) -> dict[str, BuiltinTool]:
        """Every built-in tool by name, in the order they are offered to models."""
        from switchboard.domain.money import parse_usd
        from switchboard.tools.calculator import CalculatorTool
        from switchboard.tools.summarizer import SummarizerTool
        from switchboard.tools.url_fetch import UrlFetchTool
        from switchboard.tools.weather import WeatherTool
        from switchboard.tools.web_search import WebSearchTool

        settings, client = self.settings, lambda: self.providers.http_client()
        fetch = UrlFetchTool(self.fetch_urls, client)
        key_name = settings.SEARCH_API_KEY
        tools: list[BuiltinTool] = [
            CalculatorTool(),
            fetch,
            SummarizerTool(self.inference.complete, fetch, model=settings.SUMMARIZER_MODEL),
            WebSearchTool(
                client,
                base_url=settings.SEARCH_BASE_URL,
                style=settings.SEARCH_API_STYLE,
                api_key=lambda: self.upstream_keys.get(key_name) if key_name else None,
                price_micro_usd=parse_usd(settings.SEARCH_PRICE_USD, param="SEARCH_PRICE_USD"),
            ),
            WeatherTool(
                client,
                base_url=settings.WEATHER_BASE_URL,
                geocoding_url=settings.WEATHER_GEOCODING_URL,
            ),
        ]
        return {tool.name: tool for tool in tools}

    @cached_property
    def fetch_urls(self) -> SafeUrls:
        """The rule of URLs the tools fetch: http or https, public addresses only, but for
        the operator's URL_FETCH_ALLOWLIST (off by default)."""
        from switchboard.adapters.safe_urls import SafeUrls

        allowed = tuple(
            e.strip() for e in self.settings.URL_FETCH_ALLOWLIST.split(",") if e.strip()
        )
        return SafeUrls(param="url", schemes=("http", "https"), allowed=allowed)

    @cached_property
    def tool_loop(self) -> ToolLoop:
        from switchboard.services.tool_loop import ToolLoop

        settings = self.settings
        return ToolLoop(
            self.inference,
            self.builtin_tools,
            max_rounds=settings.TOOL_MAX_ROUNDS,
            budget_seconds=settings.TOOL_BUDGET_SECONDS,
        )
