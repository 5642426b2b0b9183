"""OpenAICompatibleProvider against the fake upstream on loopback: real sockets, no mocks."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from switchboard.adapters.providers.openai_compatible import OpenAICompatibleProvider
from switchboard.domain.catalog import ModelEntry, ModelType, ProviderConfig, ProviderKind
from switchboard.domain.completions import CompletionChunk
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.errors import UpstreamError, UpstreamTimeoutError
from tests.support.fake_replies import REPLY, SECRET_ERROR_TEXT
from tests.support.fake_upstream import create_upstream, serve_in_thread

API_KEY = "sk-upstream-test"
CHUNK_DELAY_MS = 150


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def upstream_app() -> Starlette:
    return create_upstream(chunk_delay_ms=CHUNK_DELAY_MS, api_key=API_KEY)


@pytest.fixture(scope="module")
def served(upstream_app: Starlette) -> Iterator[str]:
    with serve_in_thread(upstream_app) as base_url:
        yield base_url


@pytest.fixture
def received(upstream_app: Starlette, served: str) -> list[Any]:
    upstream_app.state.received.clear()
    requests: list[Any] = upstream_app.state.received
    return requests


@asynccontextmanager
async def _provider(
    base_url: str, read_timeout: float = 10.0
) -> AsyncIterator[OpenAICompatibleProvider]:
    config = ProviderConfig(name="fake", kind=ProviderKind.OPENAI_COMPATIBLE, base_url=base_url)
    async with httpx.AsyncClient(timeout=read_timeout) as client:
        provider = OpenAICompatibleProvider(config, client, API_KEY)
        yield provider
        await provider.aclose()


@pytest.fixture
async def provider(served: str) -> AsyncIterator[OpenAICompatibleProvider]:
    async with _provider(served) as provider:
        yield provider


def entry(upstream_model: str = "fake-chat", kind: ModelType = ModelType.CHAT) -> ModelEntry:
    config = ProviderConfig(name="fake", kind=ProviderKind.OPENAI_COMPATIBLE)
    return ModelEntry(
        id="public-model",
        name="Public model",
        type=kind,
        provider=config,
        upstream_model=upstream_model,
        input_micro_usd_per_mtok=0,
        output_micro_usd_per_mtok=0,
    )


def chat(**fields: Any) -> ChatCompletionRequest:
    body = {"model": "public-model", "messages": [{"role": "user", "content": "Hi there"}]}
    return ChatCompletionRequest.model_validate({**body, **fields})


async def collect(provider: OpenAICompatibleProvider, **fields: Any) -> list[CompletionChunk]:
    model = entry(fields.pop("upstream_model", "fake-chat"))
    return [chunk async for chunk in provider.stream(chat(stream=True, **fields), model)]


def text_of(chunks: list[CompletionChunk]) -> str:
    return "".join(c.delta.get("content") or "" for chunk in chunks for c in chunk.choices)


# --- completions ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_complete_maps_the_upstream_completion(provider: OpenAICompatibleProvider) -> None:
    completion = await provider.complete(chat(), entry())

    [choice] = completion.choices
    assert choice.index == 0
    assert choice.message == {"role": "assistant", "content": REPLY, "refusal": None}
    assert choice.finish_reason == "stop"
    assert choice.logprobs is None
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens == len(REPLY.split(" "))
    assert completion.usage.prompt_tokens_details == {"cached_tokens": 0, "audio_tokens": 0}
    assert completion.usage.completion_tokens_details is not None
    assert completion.system_fingerprint == "fp_fake"


@pytest.mark.anyio
async def test_complete_maps_tool_calls_and_the_length_limit(
    provider: OpenAICompatibleProvider,
) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    called = await provider.complete(chat(tools=tools, tool_choice="required"), entry())
    cut = await provider.complete(chat(max_tokens=2), entry())

    assert called.choices[0].finish_reason == "tool_calls"
    assert called.choices[0].message["tool_calls"][0]["function"]["name"] == "lookup"
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage.completion_tokens == 2


@pytest.mark.anyio
async def test_complete_sends_extra_params_the_upstream_model_and_the_key(
    provider: OpenAICompatibleProvider, received: list[Any]
) -> None:
    schema = {"type": "object", "properties": {"a": {"default": None}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    request = chat(logit_bias={"50256": -100}, top_k=5, response_format=response_format)

    await provider.complete(request, entry())

    [sent] = received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.body["model"] == "fake-chat"
    assert sent.body["logit_bias"] == {"50256": -100}
    assert sent.body["top_k"] == 5
    assert sent.body["response_format"]["json_schema"]["schema"] == schema
    assert sent.body["messages"] == [{"role": "user", "content": "Hi there"}]
    assert "stream" not in sent.body
    assert "stream_options" not in sent.body


# --- streams -------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("options", [None, {"include_usage": False}, {"include_usage": True}])
async def test_stream_always_asks_the_upstream_for_usage(
    provider: OpenAICompatibleProvider, received: list[Any], options: dict[str, Any] | None
) -> None:
    chunks = await collect(provider, stream_options=options)

    [sent] = received
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["model"] == "fake-chat"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert all(chunk.usage is None for chunk in chunks[:-1])


@pytest.mark.anyio
async def test_stream_relays_every_event_in_order(provider: OpenAICompatibleProvider) -> None:
    chunks = await collect(provider)

    assert chunks[0].choices[0].delta["role"] == "assistant"
    assert text_of(chunks) == REPLY
    assert len(chunks) == len(REPLY.split(" ")) + 3  # role, words, finish, usage
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert all(c.finish_reason is None for chunk in chunks[:-2] for c in chunk.choices)
    assert chunks[0].system_fingerprint == "fp_fake"


@pytest.mark.anyio
async def test_streamed_usage_equals_unstreamed_usage(provider: OpenAICompatibleProvider) -> None:
    completion = await provider.complete(chat(), entry())
    chunks = await collect(provider)

    assert chunks[-1].usage == completion.usage


@pytest.mark.anyio
async def test_stream_parses_comments_crlf_and_multiline_data(
    provider: OpenAICompatibleProvider,
) -> None:
    chunks = await collect(provider, upstream_model="sse-quirks")

    assert text_of(chunks) == REPLY
    assert chunks[-1].usage is not None


@pytest.mark.anyio
async def test_stream_yields_chunks_before_the_upstream_finishes(
    provider: OpenAICompatibleProvider, upstream_app: Starlette
) -> None:
    finished = upstream_app.state.streams_finished
    started = time.monotonic()
    stream = provider.stream(chat(stream=True), entry("slow-stream"))

    first = await stream.__anext__()
    waited = time.monotonic() - started
    assert first.choices[0].delta["role"] == "assistant"
    assert upstream_app.state.streams_finished == finished  # the upstream is still going
    assert waited < CHUNK_DELAY_MS / 1000

    rest = [chunk async for chunk in stream]
    assert text_of(rest) == REPLY
    assert upstream_app.state.streams_finished == finished + 1


@pytest.mark.anyio
async def test_closing_a_stream_early_releases_it(provider: OpenAICompatibleProvider) -> None:
    stream = provider.stream(chat(stream=True), entry("slow-stream"))

    await stream.__anext__()
    await stream.aclose()

    completion = await provider.complete(chat(), entry())  # the client is still usable
    assert completion.choices[0].message["content"] == REPLY


# --- failures ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 400])
async def test_upstream_errors_hide_the_upstream_text(
    provider: OpenAICompatibleProvider, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    model = entry(f"fail-{status}")
    caplog.set_level(logging.WARNING, logger="switchboard.providers")

    with pytest.raises(UpstreamError) as completing:
        await provider.complete(chat(), model)
    with pytest.raises(UpstreamError) as streaming:
        await provider.stream(chat(stream=True), model).__anext__()
    with pytest.raises(UpstreamError) as embedding:
        await provider.embed(["a"], model, None)

    for raised in (completing, streaming, embedding):
        assert f"HTTP {status}" in raised.value.message
        assert SECRET_ERROR_TEXT not in str(raised.value)
    assert SECRET_ERROR_TEXT in caplog.text  # logged for operators


@pytest.mark.anyio
async def test_invalid_json_is_an_upstream_error(provider: OpenAICompatibleProvider) -> None:
    with pytest.raises(UpstreamError) as raised:
        await provider.complete(chat(), entry("fail-garbage"))

    assert SECRET_ERROR_TEXT not in raised.value.message


@pytest.mark.anyio
async def test_a_slow_upstream_is_a_timeout(served: str) -> None:
    async with _provider(served, read_timeout=0.3) as provider:
        with pytest.raises(UpstreamTimeoutError):
            await provider.complete(chat(), entry("fail-timeout"))
        with pytest.raises(UpstreamTimeoutError):
            await provider.stream(chat(stream=True), entry("fail-timeout")).__anext__()


@pytest.mark.anyio
async def test_a_refused_connection_is_an_upstream_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with _provider(f"http://127.0.0.1:{port}/v1") as provider:
        with pytest.raises(UpstreamError):
            await provider.complete(chat(), entry())
        with pytest.raises(UpstreamError):
            await provider.stream(chat(stream=True), entry()).__anext__()
        with pytest.raises(UpstreamError):
            await provider.embed(["a"], entry(), None)


@pytest.mark.anyio
@pytest.mark.parametrize("upstream_model", ["fail-midstream", "fail-midstream-event"])
async def test_a_failure_mid_stream_raises_after_the_first_chunks(
    provider: OpenAICompatibleProvider, upstream_model: str
) -> None:
    chunks: list[CompletionChunk] = []

    with pytest.raises(UpstreamError) as raised:
        async for chunk in provider.stream(chat(stream=True), entry(upstream_model)):
            chunks.append(chunk)

    assert len(chunks) == 2
    assert SECRET_ERROR_TEXT not in raised.value.message


# --- embeddings ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_embed_returns_float_vectors_in_order(
    provider: OpenAICompatibleProvider, received: list[Any]
) -> None:
    model = entry("fake-embed", ModelType.EMBEDDING)

    embeddings = await provider.embed(["first", "second", "third"], model, None)
    again = await provider.embed(["second"], model, None)

    assert len(embeddings.vectors) == 3
    assert all(len(vector) == 16 for vector in embeddings.vectors)
    assert embeddings.vectors[1] == again.vectors[0]
    assert embeddings.prompt_tokens > 0
    sent = received[0]
    assert sent.path == "/v1/embeddings"
    assert sent.body == {
        "model": "fake-embed",
        "input": ["first", "second", "third"],
        "encoding_format": "float",
    }


@pytest.mark.anyio
async def test_embed_forwards_dimensions(
    provider: OpenAICompatibleProvider, received: list[Any]
) -> None:
    embeddings = await provider.embed(["a"], entry("fake-embed", ModelType.EMBEDDING), 4)

    assert received[0].body["dimensions"] == 4
    assert len(embeddings.vectors[0]) == 4
