"""The `weather` tool, through a weather API in Open-Meteo's shape: the place found by its
geocoding API (`GET {WEATHER_GEOCODING_URL}?name=Paris&count=1`, results `[{name, country,
latitude, longitude}]`), then the current weather by its forecast API (`GET
{WEATHER_BASE_URL}?latitude=..&longitude=..&current=temperature_2m,...`). With no weather
API configured, the tool says so, in words the model can pass on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from switchboard.domain.tools import ToolContext, ToolResult

if TYPE_CHECKING:
    import httpx

NOT_CONFIGURED = (
    "Weather is not available: this Switchboard deployment has no weather provider "
    "configured. Say that you cannot look up the weather."
)
CURRENT = "temperature_2m,relative_humidity_2m,wind_speed_10m,precipitation"


class WeatherTool:
    name = "weather"
    description = "The current weather at a place (a city name)."
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {"location": {"type": "string", "description": "e.g. Paris"}},
        "required": ["location"],
    }

    def __init__(
        self,
        client: Callable[[], httpx.AsyncClient],
        *,
        base_url: str,
        geocoding_url: str,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._client = client
        self._base_url = base_url
        self._geocoding_url = geocoding_url
        self._timeout = timeout_seconds

    async def run(
        self, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> ToolResult:
        location = arguments.get("location")
        if not isinstance(location, str) or not location.strip():
            return ToolResult("Error: give the place as a string.")
        if not (self._base_url and self._geocoding_url):
            return ToolResult(NOT_CONFIGURED)
        import httpx

        try:
            return ToolResult(await self._weather(location.strip()))
        except (httpx.HTTPError, ValueError, KeyError, TypeError, IndexError):
            return ToolResult("Error: the weather provider could not be reached or answered oddly.")

    async def _weather(self, location: str) -> str:
        places = await self._get(self._geocoding_url, {"name": location, "count": "1"})
        if not places.get("results"):
            return f"No place called {location!r} was found."
        place = places["results"][0]
        where = ", ".join(str(p) for p in (place.get("name"), place.get("country")) if p)
        coordinates = {"latitude": str(place["latitude"]), "longitude": str(place["longitude"])}
        data = await self._get(self._base_url, coordinates | {"current": CURRENT})
        current, units = data["current"], data.get("current_units", {})
        shown = [
            f"{label} {current[key]}{units.get(key, '')}"
            for key, label in (("temperature_2m", "temperature"),
                               ("relative_humidity_2m", "humidity"),
                               ("wind_speed_10m", "wind"), ("precipitation", "precipitation"))
            if key in current
        ]  # fmt: skip
        return f"Current weather in {where}: " + ", ".join(shown) + "."

    async def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        response = await self._client().get(url, params=params, timeout=self._timeout)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
