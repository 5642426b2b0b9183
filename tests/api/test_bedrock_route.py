"""Bedrock models through the platform's routes: the service gives Converse answers
OpenAI's shape (recorded Bedrock response shapes, real boto3 parsing)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.fake_bedrock import FakeBedrock
from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio
HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


async def test_bedrock_completion(client: httpx.AsyncClient, bedrock: FakeBedrock) -> None:
    response = await client.post(
        "/v1/chat/completions", json={"model": "fake-bedrock-chat", "messages": HELLO}
    )
    body = response.json()
    assert response.status_code == 200, body
    assert_matches_spec(body, "CreateChatCompletionResponse")
    assert body["model"] == "fake-bedrock-chat" and body["choices"][0]["message"]["content"]
    sent = bedrock.requests[-1].body
    assert sent["system"] == [{"text": "Be brief."}]


async def test_bedrock_stream(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={
            "model": "fake-bedrock-chat",
            "messages": HELLO,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    frames = [f.removeprefix("data: ") for f in response.text.split("\n\n") if f.strip()]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(frame) for frame in frames[:-1]]
    for chunk in chunks:
        assert_matches_spec(chunk, "CreateChatCompletionStreamResponse")
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


async def test_titan_embeddings(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/embeddings",
        json={"model": "fake-bedrock-embed", "input": ["a", "b"], "dimensions": 256},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert_matches_spec(body, "CreateEmbeddingResponse")
    assert [len(item["embedding"]) for item in body["data"]] == [256, 256]
