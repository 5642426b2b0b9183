"""The built-in tools' loop: a chat completion with `use_tools` lets the model call the
gateway's tools (domain/tools.py), round after round, and is answered in the ordinary shape.

    round 1: the model, offered the caller's tools and the built-in ones (OpenAI functions)
      ├─ it answers in words ............................. that is the answer
      ├─ it calls one of the caller's tools .............. returned to the caller, as OpenAI does
      └─ it calls built-in tools ......................... they run; their results go back
    round 2 ... up to max_rounds, within budget_seconds; the last round offers no built-in
    tool, and a model that still calls one is answered with finish_reason "length".

Each round is its own metered call (hold, then settle: services/billing.py); a priced tool
is charged as its own ledger entry. The answer's `usage` sums every round, and
`usage.cost_usd` is what the ledger charged for all of it. Streams are services/tool_stream.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from switchboard.domain.billing import cost_usd
from switchboard.domain.catalog import ModelEntry
from switchboard.domain.money import format_usd
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tools import (
    BuiltinTool,
    ToolContext,
    ToolResult,
    chosen_tools,
    definition,
)
from switchboard.errors import InsufficientCreditsError, InvalidRequestError
from switchboard.services.tool_stream import stream_tools

if TYPE_CHECKING:
    from switchboard.domain.billing import Charge
    from switchboard.services.inference import InferenceService
    from switchboard.services.meter import Meter

LIMIT_NOTE = "I stopped: the built-in tools' limit ({}) was reached before an answer."


class ToolLoop:
    def __init__(
        self,
        inference: InferenceService,
        tools: Mapping[str, BuiltinTool],
        *,
        max_rounds: int,
        budget_seconds: float,
        heartbeat_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inference = inference
        self.tools = tools
        self.max_rounds = max(1, max_rounds)
        self.budget_seconds = budget_seconds
        self.heartbeat_seconds = heartbeat_seconds  # a stream's comment line while tools run
        self.clock = clock

    def start(self, request: ChatCompletionRequest) -> Run:
        """The run of one request, its tools checked (400 for unknown or clashing names)."""
        tools = chosen_tools(request.use_tools, self.tools)
        if request.n != 1:
            raise InvalidRequestError("use_tools works with n=1 only.", param="n")
        theirs = {tool.function.name for tool in request.tools or []}
        clash = theirs & {tool.name for tool in tools}
        if clash:
            raise InvalidRequestError(
                f"A tool of yours is named like a built-in tool: {sorted(clash)[0]!r}.",
                param="tools",
            )
        return Run(self, request, tools)

    async def complete(self, request: ChatCompletionRequest, meter: Meter) -> dict[str, Any]:
        run = self.start(request)
        body: dict[str, Any] = {}
        for number in range(1, self.max_rounds + 1):
            final = run.is_final(number)
            round_meter = meter if number == 1 else meter.another(f"round {number}", continues=True)
            body = await self.inference.complete(run.round_request(final), round_meter)
            run.counted(body["usage"], round_meter.charge)
            message = body["choices"][0]["message"]
            calls = message.get("tool_calls") or []
            if not calls:
                break
            if run.theirs(calls):
                message["tool_calls"] = run.theirs(calls)
                break
            if final:
                body["choices"][0] = run.limit_choice()
                break
            await run.call_tools(message, calls, meter, self.inference.chat_model(request))
        return run.finish(body)

    def stream(self, request: ChatCompletionRequest, meter: Meter) -> AsyncGenerator[Any, None]:
        """The loop streamed: services/tool_stream.py."""
        return stream_tools(self, request, meter)


class Run:
    """One request's loop: the conversation so far, and what every round counted and cost."""

    def __init__(
        self, loop: ToolLoop, request: ChatCompletionRequest, tools: list[BuiltinTool]
    ) -> None:
        self.loop = loop
        self.request = request
        self.tools = {tool.name: tool for tool in tools}
        self.messages = [m.model_dump(mode="json", exclude_none=True) for m in request.messages]
        self.deadline = loop.clock() + loop.budget_seconds
        self.prompt_tokens = self.completion_tokens = 0
        self.charges: list[Charge | None] = []
        self.citations: list[dict[str, Any]] = []

    def is_final(self, number: int) -> bool:
        return number >= self.loop.max_rounds or self.loop.clock() >= self.deadline

    def round_request(self, final: bool, *, stream: bool = False) -> ChatCompletionRequest:
        """The request of one round: the conversation so far; the built-in tools beside the
        caller's (none in the last round); `use_tools` never leaves the gateway."""
        data = self.request.model_dump(
            mode="json", by_alias=True, exclude_none=True,
            exclude={"use_tools", "messages", "tools", "stream", "stream_options"},
        )  # fmt: skip
        offered = [
            tool.model_dump(mode="json", exclude_none=True) for tool in self.request.tools or []
        ]
        if not final:
            offered += [definition(tool) for tool in self.tools.values()]
        data["messages"] = self.messages
        choice = data.get("tool_choice")
        if final and isinstance(choice, dict) and choice["function"]["name"] in self.tools:
            del data["tool_choice"]  # the last round offers no built-in tool to name
        if offered:
            data["tools"] = offered
        else:
            data.pop("tool_choice", None)
            data.pop("parallel_tool_calls", None)
        if stream:
            data |= {"stream": True, "stream_options": {"include_usage": True}}
        return ChatCompletionRequest.model_validate(data)

    def theirs(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The calls of the caller's own tools: the caller runs them."""
        return [call for call in calls if _name(call) not in self.tools]

    def counted(self, usage: Mapping[str, Any], charge: Charge | None) -> None:
        self.prompt_tokens += int(usage.get("prompt_tokens", 0))
        self.completion_tokens += int(usage.get("completion_tokens", 0))
        self.charges.append(charge)

    async def call_tools(
        self, message: dict[str, Any], calls: list[dict[str, Any]], meter: Meter, model: ModelEntry
    ) -> None:
        """Run the round's calls; the assistant's message and each result join the
        conversation, and a priced tool is charged on its own."""
        calls = [_normalised(call) for call in calls]
        said = {"role": "assistant", "content": message.get("content"), "tool_calls": calls}
        self.messages.append(said)
        for call in calls:
            result = await self.call_tool(call, meter)
            if result.cost_micro_usd:
                await self.charge_tool(meter, model, _name(call), result.cost_micro_usd)
            self.citations += result.citations
            self.charges += result.charges
            self.messages.append(
                {"role": "tool", "tool_call_id": call.get("id", ""), "content": result.content}
            )

    async def call_tool(self, call: dict[str, Any], meter: Meter) -> ToolResult:
        tool = self.tools[_name(call)]
        try:
            arguments = json.loads(call["function"]["arguments"] or "{}")
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            return ToolResult(f"Error: the arguments of {tool.name} must be a JSON object.")
        remaining = max(self.deadline - self.loop.clock(), 0.001)
        try:
            return await asyncio.wait_for(tool.run(arguments, ToolContext(meter)), remaining)
        except TimeoutError:
            return ToolResult(f"Error: {tool.name} did not finish within the time budget.")

    async def charge_tool(self, meter: Meter, model: ModelEntry, name: str, price: int) -> None:
        tool_meter = meter.another(f"tool {name}", "tool")

        def refused(balance: int) -> Exception:
            return InsufficientCreditsError(
                f"Insufficient credits for the {name} tool.",
                required_usd=format_usd(price), available_usd=format_usd(balance),
                max_affordable_tokens=0,
            )  # fmt: skip

        await tool_meter.hold(model, price, refused)
        self.charges.append(await tool_meter.settle_fixed(price, f"tool {name}"))

    def limit_choice(self) -> dict[str, Any]:
        content = LIMIT_NOTE.format(self.loop.max_rounds)
        message = {"role": "assistant", "content": content, "refusal": None}
        return {"index": 0, "message": message, "logprobs": None, "finish_reason": "length"}

    def usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost_usd": cost_usd(self.charges),
        }

    def finish(self, body: dict[str, Any]) -> dict[str, Any]:
        body["usage"] = self.usage()
        if self.citations:
            message = body["choices"][0]["message"]
            message["annotations"] = [
                _placed(c, message.get("content") or "") for c in self.citations
            ]
        return body


def _placed(annotation: dict[str, Any], content: str) -> dict[str, Any]:
    """A citation with the span of its URL in the answer, where the answer quotes it."""
    inner = annotation["url_citation"]
    start = content.find(inner["url"])
    if start < 0:
        return annotation
    span = {"start_index": start, "end_index": start + len(inner["url"])}
    return {"type": "url_citation", "url_citation": inner | span}


def _normalised(call: Mapping[str, Any]) -> dict[str, Any]:
    """A call as the next round's messages must hold it, whatever the upstream sent: an id,
    and the arguments as a JSON string (some upstreams send an object)."""
    arguments = (call.get("function") or {}).get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {})
    call_id = call.get("id") if isinstance(call.get("id"), str) else f"call_{uuid.uuid4().hex[:12]}"
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": _name(call), "arguments": arguments},
    }


def _name(call: Mapping[str, Any]) -> str:
    return str((call.get("function") or {}).get("name") or "")
