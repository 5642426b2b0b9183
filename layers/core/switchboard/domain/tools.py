"""Built-in tools, as the tool loop sees them: what a tool is (a name, an OpenAI function
definition and `run`), what it gives back, and which tools a request asked for.

A tool never fails the request: what goes wrong (a refused URL, a bad expression, no
provider configured) comes back as the tool's text, in words the model can pass on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchboard.domain.billing import Charge
from switchboard.errors import InvalidRequestError

BUILTIN_TOOLS = ("calculator", "url_fetch", "summarizer", "web_search", "weather")


@dataclass(slots=True)
class ToolResult:
    """`content` goes back to the model as the tool message; `citations` become the answer's
    `url_citation` annotations; `cost_micro_usd` is the tool's own price (a search call),
    charged as its own ledger entry; `charges` are what the tool settled itself (a
    summarizer's model call), counted in the answer's cost."""

    content: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    cost_micro_usd: int = 0
    charges: list[Charge | None] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What a tool may use of the request it serves: its meter (services/billing.Meter), for
    a tool that calls a model (`meter.another()` meters that call on its own)."""

    meter: Any


class BuiltinTool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]

    async def run(
        self, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> ToolResult: ...


@dataclass(frozen=True, slots=True)
class StreamComment:
    """An SSE comment line (`: text`), sent while tools run so that proxies keep a quiet
    stream open; clients ignore it."""

    text: str


def definition(tool: BuiltinTool) -> dict[str, Any]:
    """The tool as the upstream sees it: an OpenAI function tool."""
    function = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    return {"type": "function", "function": function}


def chosen_tools(
    use_tools: bool | list[str] | None, available: Mapping[str, BuiltinTool]
) -> list[BuiltinTool]:
    """The tools a request's `use_tools` allows: true for all, or the ones named."""
    if not use_tools:
        return []
    if use_tools is True:
        return list(available.values())
    unknown = [name for name in use_tools if name not in available]
    if unknown:
        raise InvalidRequestError(
            f"Unknown built-in tool {unknown[0]!r}; the tools are: {', '.join(available)}.",
            param="use_tools",
            code="invalid_value",
        )
    return [available[name] for name in dict.fromkeys(use_tools)]


def citation(url: str, title: str, start: int = 0, end: int = 0) -> dict[str, Any]:
    """One `url_citation` annotation in OpenAI's shape."""
    inner = {"url": url, "title": title, "start_index": start, "end_index": end}
    return {"type": "url_citation", "url_citation": inner}
