"""The tool loop streamed (services/tool_loop.py has the rules). Each round is streamed from
the model; a round that answers in words is relayed as it comes, a round that calls tools
is gathered, not relayed, and while its tools run the stream sends comment lines
(StreamComment) so that proxies do not time out. The caller sees one completion: one id,
the role once, the answer's chunks, and, when asked, one final usage chunk summing every
round, with `cost_usd`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tools import StreamComment

if TYPE_CHECKING:
    from switchboard.services.meter import Meter
    from switchboard.services.tool_loop import Run, ToolLoop

_HEAD = ("id", "object", "created", "model", "usage")


async def stream_tools(
    loop: ToolLoop, request: ChatCompletionRequest, meter: Meter
) -> AsyncGenerator[Any, None]:
    run = loop.start(request)
    model = loop.inference.chat_model(request)
    head: dict[str, Any] = {"id": "chatcmpl-" + uuid.uuid4().hex}
    for number in range(1, loop.max_rounds + 1):
        final = run.is_final(number)
        round_meter = meter if number == 1 else meter.another(f"round {number}", continues=True)
        gathered = _Round()
        chunks = loop.inference.stream(run.round_request(final, stream=True), round_meter)
        async with aclosing(chunks):
            async for chunk in chunks:
                head |= {"object": chunk["object"], "created": chunk["created"]}
                head["model"] = chunk["model"]
                if not chunk["choices"]:
                    run.counted(chunk["usage"], None)
                    continue
                for out in gathered.add(chunk):
                    choice = out["choices"][0]
                    if choice.get("finish_reason") and run.citations:
                        choice["delta"] = choice["delta"] | {"annotations": run.citations}
                    yield _shown(out, head, request)
        run.charges.append(round_meter.charge)
        calls = gathered.calls()
        if not calls:
            break
        theirs = run.theirs(calls)
        if theirs or final:
            events = _calls_chunks(theirs) if theirs else _limit_chunks(run)
            for event in events:
                yield _shown(event, head, request)
            break
        yield StreamComment(f"round {number}: running " + ", ".join(_names(calls)))
        said = {"content": gathered.content() or None}
        async for comment in _call_tools(run, said, calls, meter, model):
            yield comment
    if request.include_usage:
        yield head | {"choices": [], "usage": run.usage()}


async def _call_tools(
    run: Run, said: dict[str, Any], calls: list[dict[str, Any]], meter: Meter, model: Any
) -> AsyncGenerator[StreamComment, None]:
    """Run the round's tools, a comment line every heartbeat_seconds while they work."""
    task = asyncio.ensure_future(run.call_tools(said, calls, meter, model))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=run.loop.heartbeat_seconds)
            if done:
                task.result()
                return
            yield StreamComment("tools still running")
    finally:
        task.cancel()


class _Round:
    """One round's chunks: relayed once they are words, gathered while they call tools."""

    def __init__(self) -> None:
        self.held: list[dict[str, Any]] = []
        self.mode: str | None = None  # "answer" or "tools", once the round shows which
        self.parts: list[str] = []
        self.slots: dict[int, dict[str, Any]] = {}

    def add(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        delta = chunk["choices"][0]["delta"]
        for call in delta.get("tool_calls") or []:
            self._gather(call)
            self.mode = "tools"
        if delta.get("content"):
            self.parts.append(str(delta["content"]))
            self.mode = self.mode or "answer"
        if self.mode == "tools":
            return []
        self.held.append(chunk)
        if self.mode == "answer" or chunk["choices"][0].get("finish_reason"):
            out, self.held = self.held, []
            return out
        return []

    def _gather(self, call: dict[str, Any]) -> None:
        slot = self.slots.setdefault(int(call.get("index", len(self.slots))), {})
        slot.setdefault("id", call.get("id") or f"call_{uuid.uuid4().hex[:12]}")
        function = call.get("function") or {}
        slot["name"] = slot.get("name", "") + str(function.get("name") or "")
        slot["arguments"] = slot.get("arguments", "") + str(function.get("arguments") or "")

    def content(self) -> str:
        return "".join(self.parts)

    def calls(self) -> list[dict[str, Any]]:
        return [
            {"id": slot["id"], "type": "function",
             "function": {"name": slot["name"], "arguments": slot["arguments"]}}
            for _, slot in sorted(self.slots.items())
        ]  # fmt: skip


def _calls_chunks(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The caller's own tool calls, as a stream gives them: one delta, then the finish."""
    indexed = [{"index": i, **call} for i, call in enumerate(calls)]
    delta = {"role": "assistant", "content": None, "tool_calls": indexed}
    return [_chunk(delta, None), _chunk({}, "tool_calls")]


def _limit_chunks(run: Run) -> list[dict[str, Any]]:
    choice = run.limit_choice()
    delta = {"role": "assistant", "content": choice["message"]["content"]}
    return [_chunk(delta, None), _chunk({}, "length")]


def _chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}


def _shown(
    chunk: dict[str, Any], head: dict[str, Any], request: ChatCompletionRequest
) -> dict[str, Any]:
    """A chunk under the completion's one id; `usage: null` only if the caller asked."""
    shown = head | {key: value for key, value in chunk.items() if key not in _HEAD}
    if request.include_usage:
        shown["usage"] = None
    return shown


def _names(calls: list[dict[str, Any]]) -> list[str]:
    return [str(call["function"]["name"]) for call in calls]
