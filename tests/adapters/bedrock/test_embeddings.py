"""Titan text embeddings through InvokeModel, one call per text, in the texts' order."""

from __future__ import annotations

import pytest

from switchboard.adapters.providers.bedrock import BedrockProvider
from switchboard.domain.catalog import ModelType
from tests.adapters.bedrock.support import model
from tests.support.fake_bedrock import FakeBedrock


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
