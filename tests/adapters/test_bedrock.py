"""BedrockProvider through real boto3 against the loopback fake_bedrock server."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider, bedrock_client
from switchboard.domain.catalog import ModelEntry, ModelType, ProviderConfig, ProviderKind
from switchboard.domain.completions import CompletionChunk
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.errors import InvalidRequestError, UpstreamError, UpstreamTimeoutError
from tests.support.fake_bedrock import FakeBedrock, fake_bedrock

CONFIG = ProviderConfig(name="bedrock", kind=ProviderKind.BEDROCK, region="eu-west-1")
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
PNG = b"\x89PNG\r\n\x1a\n fake image"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    with fake_bedrock() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield server


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    """The boto3 clients the tests' factories made, closed at the end."""
    made: list[Any] = []
    yield made
    for client in made:
        client.close()


def make_provider(clients: list[Any], **options: Any) -> BedrockProvider:
    config = ProviderConfig(
        name="bedrock",
        kind=ProviderKind.BEDROCK,
        region="eu-west-1",
        options={"max_attempts": 1, "read_timeout": 5, "connect_timeout": 2, **options},
    )

    def factory() -> Any:
        clients.append(bedrock_client(config))
        return clients[-1]

    return BedrockProvider(config, factory)


@pytest.fixture
async def provider(bedrock: FakeBedrock, clients: list[Any]) -> AsyncIterator[BedrockProvider]:
    provider = make_provider(clients)
    yield provider
    await provider.aclose()


def model(upstream: str = "fake.text", kind: ModelType = ModelType.CHAT) -> ModelEntry:
    return ModelEntry(
        id="claude",
        name="Claude",
        type=kind,
        provider=CONFIG,
        upstream_model=upstream,
        input_micro_usd_per_mtok=0,
        output_micro_usd_per_mtok=0,
    )


def chat(**fields: Any) -> ChatCompletionRequest:
    fields.setdefault("messages", [{"role": "user", "content": "Hi"}])
    return ChatCompletionRequest.model_validate({"model": "claude", **fields})


async def collect(provider: BedrockProvider, request: ChatCompletionRequest, upstream: str) -> Any:
    return [chunk async for chunk in provider.stream(request, model(upstream))]


def deltas(chunks: list[CompletionChunk]) -> list[dict[str, Any]]:
    return [choice.delta for chunk in chunks for choice in chunk.choices]


# Request mapping


@pytest.mark.anyio
async def test_system_messages_inference_config_and_model(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    request = chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hi"},
        ],
        max_tokens=50,
        max_completion_tokens=100,
        temperature=0.2,
        top_p=0.9,
        stop="END",
    )
    await provider.complete(request, model("anthropic.claude-3-haiku-20240307-v1:0"))

    sent = bedrock.requests[-1]
    assert sent.operation == "converse"
    assert sent.model_id == "anthropic.claude-3-haiku-20240307-v1:0"
    assert sent.body == {
        "system": [{"text": "Be brief."}, {"text": "Answer in French."}],
        "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
        "inferenceConfig": {
            "maxTokens": 100,
            "temperature": 0.2,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
    }


@pytest.mark.anyio
async def test_images_become_image_blocks(provider: BedrockProvider, bedrock: FakeBedrock) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    await provider.complete(chat(messages=[{"role": "user", "content": content}]), model())

    blocks = bedrock.requests[-1].body["messages"][0]["content"]
    assert blocks[0] == {"text": "What is this?"}
    assert blocks[1]["image"]["format"] == "png"
    assert base64.b64decode(blocks[1]["image"]["source"]["bytes"]) == PNG


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url",
    ["https://example.com/cat.png", "data:image/tiff;base64,AAAA", "data:image/png;base64,%%%"],
)
async def test_unsupported_images_are_invalid_requests(
    provider: BedrockProvider, bedrock: FakeBedrock, url: str
) -> None:
    content = [{"type": "image_url", "image_url": {"url": url}}]
    with pytest.raises(InvalidRequestError) as caught:
        await provider.complete(chat(messages=[{"role": "user", "content": content}]), model())
    assert caught.value.param == "messages"
    assert bedrock.requests == []


@pytest.mark.anyio
async def test_tool_calls_results_and_role_merging(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
        },
    ]
    messages = [
        {"role": "user", "content": "Weather in Paris"},
        {"role": "user", "content": "and Rome?"},
        {"role": "assistant", "content": "", "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21C"}]},
        {"role": "user", "content": "Thanks"},
    ]
    request = chat(messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    await provider.complete(request, model())

    body = bedrock.requests[-1].body
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Paris"}, {"text": "and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "call_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                },
                {
                    "toolUse": {
                        "toolUseId": "call_2",
                        "name": "get_weather",
                        "input": {"city": "Rome"},
                    }
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C"}]}},
                {"toolResult": {"toolUseId": "call_2", "content": [{"text": "21C"}]}},
                {"text": "Thanks"},
            ],
        },
    ]
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "inputSchema": {"json": WEATHER_TOOL["function"]["parameters"]},
                }
            }
        ],
        "toolChoice": {"auto": {}},
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("required", {"any": {}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"tool": {"name": "get_weather"}},
        ),
        (None, None),
    ],
)
async def test_tool_choice(
    provider: BedrockProvider, bedrock: FakeBedrock, choice: Any, expected: Any
) -> None:
    await provider.complete(chat(tools=[WEATHER_TOOL], tool_choice=choice), model())
    assert bedrock.requests[-1].body["toolConfig"].get("toolChoice") == expected


@pytest.mark.anyio
async def test_tool_choice_none_omits_tools(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    await provider.complete(chat(tools=[WEATHER_TOOL], tool_choice="none"), model())
    assert "toolConfig" not in bedrock.requests[-1].body


@pytest.mark.anyio
async def test_json_schema_response_format(provider: BedrockProvider, bedrock: FakeBedrock) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
    await provider.complete(chat(response_format=response_format), model())

    text_format = bedrock.requests[-1].body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    definition = text_format["structure"]["jsonSchema"]
    assert definition["name"] == "reply"
    assert json.loads(definition["schema"]) == schema


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"messages": [{"role": "assistant", "content": "Hello"}]}, "messages"),
        (
            {
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "c", "function": {"name": "f", "arguments": "not json"}}
                        ],
                    },
                ]
            },
            "messages",
        ),
    ],
)
async def test_requests_bedrock_cannot_express(
    provider: BedrockProvider, bedrock: FakeBedrock, fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await provider.complete(chat(**fields), model())
    assert caught.value.param == param
    with pytest.raises(InvalidRequestError):
        await collect(provider, chat(**fields), "fake.text")
    assert bedrock.requests == []


# Response mapping


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


# Streaming


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


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bedrock-stream"]


def wait_for_no_stream_threads() -> None:
    deadline = time.monotonic() + 5
    while stream_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stream_threads() == []


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


# Embeddings


@pytest.mark.anyio
async def test_embeddings(provider: BedrockProvider, bedrock: FakeBedrock) -> None:
    texts = ["one two three", "four five", "six"]
    upstream = model("amazon.titan-embed-text-v2:0", ModelType.EMBEDDING)
    embeddings = await provider.embed(texts, upstream, 256)

    assert [len(vector) for vector in embeddings.vectors] == [256, 256, 256]
    assert embeddings.prompt_tokens == 6
    sent = sorted(bedrock.requests, key=lambda r: texts.index(r.body["inputText"]))
    assert [r.operation for r in sent] == ["invoke"] * 3
    assert {r.model_id for r in sent} == {"amazon.titan-embed-text-v2:0"}
    assert [r.body for r in sent] == [
        {"inputText": text, "normalize": True, "dimensions": 256} for text in texts
    ]
    # Vectors come back in the order of the texts, whatever order the calls finished in.
    single = await provider.embed(["four five"], upstream, 256)
    assert single.vectors[0] == embeddings.vectors[1]


@pytest.mark.anyio
async def test_embeddings_without_dimensions(
    provider: BedrockProvider, bedrock: FakeBedrock
) -> None:
    embeddings = await provider.embed(["hello"], model("amazon.titan-embed-text-v2:0"), None)
    assert len(embeddings.vectors[0]) == 1024
    assert bedrock.requests[-1].body == {"inputText": "hello", "normalize": True}


# Errors


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("upstream", "code"),
    [("fake.throttled", "ThrottlingException"), ("fake.invalid", "ValidationException")],
)
async def test_client_errors_are_logged_not_shown(
    provider: BedrockProvider, upstream: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="switchboard.providers")
    with pytest.raises(UpstreamError) as caught:
        await provider.complete(chat(), model(upstream))
    assert caught.value.message == "The upstream model provider returned an error."
    with pytest.raises(UpstreamError) as caught:
        await collect(provider, chat(stream=True), upstream)
    assert caught.value.message == "The upstream model provider returned an error."
    with pytest.raises(UpstreamError):
        await provider.embed(["a", "b"], model(upstream), None)
    assert code in caplog.text
    if upstream == "fake.invalid":
        assert "secret upstream detail" in caplog.text


@pytest.mark.anyio
async def test_in_stream_exception(provider: BedrockProvider) -> None:
    received: list[CompletionChunk] = []
    with pytest.raises(UpstreamError) as caught:
        async for chunk in provider.stream(chat(stream=True), model("fake.stream-error")):
            received.append(chunk)
    assert deltas(received) == [{"role": "assistant", "content": ""}, {"content": "Hello"}]
    assert "Model stream error" not in caught.value.message
    assert isinstance(caught.value.__cause__, Exception)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_unreachable_endpoint(
    provider: BedrockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(UpstreamError):
        await provider.complete(chat(), model())
    with pytest.raises(UpstreamError):
        await collect(provider, chat(stream=True), "fake.text")
    with pytest.raises(UpstreamError):
        await provider.embed(["a"], model(), None)


@pytest.mark.anyio
async def test_a_silent_stream_times_out(bedrock: FakeBedrock, clients: list[Any]) -> None:
    provider = make_provider(clients, read_timeout=0.5)
    received: list[CompletionChunk] = []
    with pytest.raises(UpstreamTimeoutError):
        async for chunk in provider.stream(chat(stream=True), model("fake.gated")):
            received.append(chunk)
    assert len(received) == 2
    assert len(clients) == 1
    wait_for_no_stream_threads()
