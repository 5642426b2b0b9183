"""Bedrock Converse answers to OpenAI completions, and ConverseStream events to chunks.

Pure mapping over the plain dicts boto3 returns; no I/O. The requests go out through
bedrock_requests.py.
"""

from __future__ import annotations

import json
from typing import Any

from switchboard.domain.completions import (
    Choice,
    ChoiceDelta,
    Completion,
    CompletionChunk,
    Usage,
    reported_usage,
)

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def completion_from_converse(response: dict[str, Any]) -> Completion:
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    texts = [block["text"] for block in blocks if "text" in block]
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    tool_calls = [_tool_call(block["toolUse"]) for block in blocks if "toolUse" in block]
    if tool_calls:
        message["tool_calls"] = tool_calls
    finish_reason = FINISH_REASONS.get(response.get("stopReason", ""), "stop")
    return Completion(
        choices=[Choice(index=0, message=message, finish_reason=finish_reason)],
        usage=_usage(response.get("usage")),
    )


def _tool_call(tool_use: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": tool_use["toolUseId"],
        "type": "function",
        "function": {"name": tool_use["name"], "arguments": json.dumps(tool_use.get("input", {}))},
    }


def _usage(usage: Any) -> Usage | None:
    """Bedrock's usage if it is two token counts, else None (the service estimates it)."""
    if not isinstance(usage, dict):
        return None
    return reported_usage(usage.get("inputTokens"), usage.get("outputTokens"))


class ChunkTranslator:
    """ConverseStream events to OpenAI chunks, one event at a time.

    OpenAI numbers tool calls 0, 1, ... while Bedrock numbers content blocks, text
    included, so block indexes are mapped to tool-call indexes as tool blocks start.
    """

    def __init__(self) -> None:
        self._tool_index: dict[int, int] = {}

    def feed(self, event: dict[str, Any]) -> CompletionChunk | None:
        if "messageStart" in event:
            return _delta({"role": "assistant", "content": ""})
        if "contentBlockStart" in event:
            return self._block_start(event["contentBlockStart"])
        if "contentBlockDelta" in event:
            return self._block_delta(event["contentBlockDelta"])
        if "messageStop" in event:
            reason = FINISH_REASONS.get(event["messageStop"].get("stopReason", ""), "stop")
            return CompletionChunk(choices=[ChoiceDelta(index=0, delta={}, finish_reason=reason)])
        if "metadata" in event and "usage" in event["metadata"]:
            return CompletionChunk(choices=[], usage=_usage(event["metadata"]["usage"]))
        return None  # contentBlockStop, and events this gateway does not relay

    def _block_start(self, start: dict[str, Any]) -> CompletionChunk | None:
        tool_use = start.get("start", {}).get("toolUse")
        if tool_use is None:
            return None
        index = self._tool_index.setdefault(start["contentBlockIndex"], len(self._tool_index))
        call = {
            "index": index,
            "id": tool_use["toolUseId"],
            "type": "function",
            "function": {"name": tool_use["name"], "arguments": ""},
        }
        return _delta({"tool_calls": [call]})

    def _block_delta(self, event: dict[str, Any]) -> CompletionChunk | None:
        delta = event.get("delta", {})
        if "text" in delta:
            return _delta({"content": delta["text"]})
        index = self._tool_index.get(event.get("contentBlockIndex", -1))
        if "toolUse" in delta and index is not None:
            call = {"index": index, "function": {"arguments": delta["toolUse"]["input"]}}
            return _delta({"tool_calls": [call]})
        return None


def _delta(delta: dict[str, Any]) -> CompletionChunk:
    return CompletionChunk(choices=[ChoiceDelta(index=0, delta=delta)])
