"""ConverseStream events as OpenAI chunks, relayed as they arrive, by a reader thread that
stops when its consumer goes away."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider
from tests.adapters.bedrock.support import (
    WEATHER_TOOL,
    chat,
    collect,
    deltas,
    model,
    stream_threads,
    wait_for_no_stream_threads,
)
from tests.support.fake_bedrock import FakeBedrock


@pytest.mark.anyio
async def test_text_stream(provider: BedrockProvider, bedrock: FakeBedrock) -> None:
    chunks = await collect(provider, chat(stream=True, max_tokens=20), "fake.text")

    assert bedrock.requests[-1].operation == "converse-stream"
    assert bedrock.requests[-1].body["inferenceConfig"] == {"maxTokens": 20}
    assert deltas(chunks) == [
        {"role": "assistant", "content": ""},
        {"content": "Hello"},
        {"content": "! How can I"},
        {"content": " help?"},
        {},
    ]
    assert [c.finish_reason for c in chunks[-2].choices] == ["stop"]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (12, 6)


@pytest.mark.anyio
async def test_tool_call_stream(provider: BedrockProvider) -> None:
    chunks = await collect(provider, chat(stream=True, tools=[WEATHER_TOOL]), "fake.tool-use")

    assert deltas(chunks) == [
        {"role": "assistant", "content": ""},
        {"content": "Checking."},
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "tooluse_5lfKsnJJQgGQ2ZP9uvZ0kQ",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Pa'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]},
        {},
    ]
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 456


@pytest.mark.anyio
async def test_chunks_are_relayed_as_they_arrive(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    # fake.gated holds the stream after its first text delta until released.
    stream = provider.stream(chat(stream=True), model("fake.gated"))
    first = await anext(stream)
    second = await anext(stream)
    assert deltas([first, second]) == [{"role": "assistant", "content": ""}, {"content": "Hello"}]
    bedrock.release()
    rest = [chunk async for chunk in stream]
    assert rest[-1].usage is not None
    wait_for_no_stream_threads()


@pytest.mark.anyio
async def test_an_abandoned_stream_stops_its_thread(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    stream = provider.stream(chat(stream=True), model("fake.gated"))
    assert isinstance(stream, AsyncGenerator)
    await anext(stream)
    await stream.aclose()
    assert len(stream_threads()) == 1  # still waiting on the upstream
    bedrock.release()  # the next event arrives, and the thread sees nobody wants it
    wait_for_no_stream_threads()
