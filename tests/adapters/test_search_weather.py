"""The web_search and weather tools against APIs of their shapes on loopback, and with none
configured (the tool says so, in words the model can pass on)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from switchboard.tools.weather import WeatherTool
from switchboard.tools.web_search import WebSearchTool
from tests.support.fake_tool_apis import RESULTS, create_tool_apis
from tests.support.fake_upstream import serve_in_thread

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def apis() -> Iterator[tuple[str, Any]]:
    app = create_tool_apis()
    with serve_in_thread(app) as base_url:
        yield base_url.removesuffix("/v1"), app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_searxng_results_and_citations(
    apis: tuple[str, Any], http: httpx.AsyncClient
) -> None:
    base, app = apis
    search = WebSearchTool(lambda: http, base_url=base + "/searxng", price_micro_usd=500)
    result = await search.run({"query": "python asyncio"})
    assert "1. asyncio <https://docs.python.org/3/library/asyncio.html>" in result.content
    assert result.cost_micro_usd == 500
    assert [c["url_citation"]["url"] for c in result.citations] == [u for u, _, _ in RESULTS]
    assert result.citations[0]["type"] == "url_citation"
    assert app.state.received[-1]["params"]["format"] == "json"


async def test_brave_sends_its_key(apis: tuple[str, Any], http: httpx.AsyncClient) -> None:
    base, _ = apis
    search = WebSearchTool(
        lambda: http, base_url=base + "/brave", style="brave", api_key=lambda: "brave-key"
    )
    result = await search.run({"query": "pep 492"})
    assert "PEP 492" in result.content and len(result.citations) == 2
    keyless = WebSearchTool(lambda: http, base_url=base + "/brave", style="brave")
    assert (await keyless.run({"query": "x"})).content.startswith("Error: the search provider")


async def test_weather_in_open_meteos_shape(apis: tuple[str, Any], http: httpx.AsyncClient) -> None:
    base, _ = apis
    weather = WeatherTool(
        lambda: http, base_url=base + "/forecast", geocoding_url=base + "/geocoding"
    )
    result = await weather.run({"location": "Paris"})
    assert result.content == (
        "Current weather in Paris, France: temperature 12.5°C, humidity 70%, wind 9.4km/h."
    )
    assert "No place" in (await weather.run({"location": "Atlantis"})).content


async def test_unconfigured_tools_say_so_and_never_fail(http: httpx.AsyncClient) -> None:
    search = await WebSearchTool(lambda: http, base_url="").run({"query": "anything"})
    weather = await WeatherTool(lambda: http, base_url="", geocoding_url="").run(
        {"location": "Paris"}
    )
    assert search.content.startswith("Web search is not available") and not search.cost_micro_usd
    assert weather.content.startswith("Weather is not available")


async def test_an_unreachable_provider_is_the_tools_answer(http: httpx.AsyncClient) -> None:
    search = WebSearchTool(lambda: http, base_url="http://127.0.0.1:9/searxng")
    assert (await search.run({"query": "x"})).content.startswith("Error:")
