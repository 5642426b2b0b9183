"""What the local chat model reads as a request for a built-in tool
(adapters/providers/local_tools.py), and its whole turn through compose_reply."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.adapters.providers.local import compose_reply
from switchboard.adapters.providers.local_tools import intended_call
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tools import BUILTIN_TOOLS

ALL = set(BUILTIN_TOOLS)


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("calculate 2+2", ("calculator", {"expression": "2+2"})),
        ("What is 15% of 80?", ("calculator", {"expression": "15% of 80"})),
        ("compute sqrt(16) * 3", ("calculator", {"expression": "sqrt(16) * 3"})),
        ("fetch https://example.com/a?b=1", ("url_fetch", {"url": "https://example.com/a?b=1"})),
        ("please read http://example.org/", ("url_fetch", {"url": "http://example.org/"})),
        ("summarize https://example.com/post", ("summarizer", {"url": "https://example.com/post"})),
        ("summarize: a long story", ("summarizer", {"text": "a long story"})),
        ("search the web for python asyncio", ("web_search", {"query": "python asyncio"})),
        ("What's the weather in Paris?", ("weather", {"location": "Paris"})),
        ("what is 42", None),
        ("Hello there", None),
        ("what is the capital of France?", None),
    ],
)
def test_intents(text: str, call: tuple[str, dict[str, Any]] | None) -> None:
    assert intended_call(text, ALL) == call


def test_only_offered_tools_are_called() -> None:
    assert intended_call("calculate 2+2", {"url_fetch"}) is None


def test_a_turn_calls_then_answers_from_the_result() -> None:
    tool = {"type": "function", "function": {"name": "calculator", "parameters": {}}}
    asked = {"role": "user", "content": "calculate 6*7"}
    request = ChatCompletionRequest.model_validate(
        {"model": "local-chat", "messages": [asked], "tools": [tool]}
    )
    reply = compose_reply(request, [asked])
    assert reply.finish == "tool_calls" and reply.tool_call is not None
    assert json.loads(reply.tool_call["function"]["arguments"]) == {"expression": "6*7"}
    said = {"role": "assistant", "content": None, "tool_calls": [reply.tool_call]}
    result = {"role": "tool", "tool_call_id": reply.tool_call["id"], "content": "42"}
    answered = compose_reply(request, [asked, said, result])
    assert "".join(answered.pieces) == "The tool returned: 42"
