"""The `summarizer` tool: a model call (SUMMARIZER_MODEL, by default the local chat model)
that summarizes the text given, or the page at a URL (fetched as url_fetch fetches it).
The call is metered on its own (a hold and a settlement, through the request's meter's
`another()`), and its charge counts in the answer's `usage.cost_usd`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tools import ToolContext, ToolResult
from switchboard.errors import SwitchboardError

if TYPE_CHECKING:
    from switchboard.tools.url_fetch import UrlFetchTool

MAX_INPUT_CHARS = 12_000
MAX_SUMMARY_TOKENS = 400
INSTRUCTION = "Summarize the following text in a few sentences. Keep names, numbers and dates."
Complete = Callable[[ChatCompletionRequest, Any], Awaitable[dict[str, Any]]]


class SummarizerTool:
    name = "summarizer"
    description = "Summarize a text, or the web page at a URL."
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "the text to summarize"},
            "url": {"type": "string", "description": "or: a page to fetch and summarize"},
        },
    }

    def __init__(self, complete: Complete, fetch: UrlFetchTool, *, model: str) -> None:
        self._complete = complete
        self._fetch = fetch
        self._model = model

    async def run(
        self, arguments: dict[str, Any], context: ToolContext | None = None
    ) -> ToolResult:
        text, url = arguments.get("text"), arguments.get("url")
        if context is None:
            return ToolResult("Error: the summarizer runs only inside a chat completion.")
        try:
            if isinstance(url, str) and url.strip():
                text = (await self._fetch.page(url.strip()))[1]
            if not isinstance(text, str) or not text.strip():
                return ToolResult("Error: give a text or a URL to summarize.")
            return await self._summarize(text[:MAX_INPUT_CHARS], context)
        except SwitchboardError as exc:
            return ToolResult(f"Error: {exc.message}")

    async def _summarize(self, text: str, context: ToolContext) -> ToolResult:
        request = ChatCompletionRequest.model_validate(
            {
                "model": self._model,
                "messages": [
                    {"role": "system", "content": INSTRUCTION},
                    {"role": "user", "content": text},
                ],
                "max_tokens": MAX_SUMMARY_TOKENS,
            }
        )
        meter = context.meter.another("tool summarizer", "llm")
        body = await self._complete(request, meter)
        summary = body["choices"][0]["message"].get("content") or ""
        return ToolResult(summary, charges=[meter.charge])
