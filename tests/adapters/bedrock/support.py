"""What the Bedrock provider tests share: how a provider is made, the models and requests
they send it, and how they read its streams."""

from __future__ import annotations

import threading
import time
from typing import Any

from switchboard.adapters.providers.bedrock import BedrockProvider, bedrock_client
from switchboard.domain.catalog import ModelEntry, ModelType, ProviderConfig, ProviderKind
from switchboard.domain.completions import CompletionChunk
from switchboard.domain.requests import ChatCompletionRequest

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


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bedrock-stream"]


def wait_for_no_stream_threads() -> None:
    deadline = time.monotonic() + 5
    while stream_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stream_threads() == []
