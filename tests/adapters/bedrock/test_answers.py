"""Converse answers as OpenAI completions: text, tool calls, finish reasons, usage."""

from __future__ import annotations

import json

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider
from tests.adapters.bedrock.support import WEATHER_TOOL, chat, model


@pytest.mark.anyio
async def test_text_completion(provider: BedrockProvider) -> None:
    completion = await provider.complete(chat(), model("fake.text"))

    [choice] = completion.choices
    assert choice.message == {"role": "assistant", "content": "Hello! How can I help you today?"}
    assert choice.finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 9)


@pytest.mark.anyio
async def test_tool_use_completion(provider: BedrockProvider) -> None:
    completion = await provider.complete(chat(tools=[WEATHER_TOOL]), model("fake.tool-use"))

    [choice] = completion.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message["content"] == "I'll look up the weather for you."
    [call] = choice.message["tool_calls"]
    assert call["id"] == "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"
    assert call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    assert completion.usage.total_tokens == 446


@pytest.mark.anyio
async def test_max_tokens_finishes_with_length(provider: BedrockProvider) -> None:
    completion = await provider.complete(chat(), model("fake.max-tokens"))
    assert completion.choices[0].finish_reason == "length"
