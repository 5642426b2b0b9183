"""POST /v1/embeddings through the platform's app: float and base64, dimensions, errors."""

from __future__ import annotations

import base64
import math
import struct

import httpx
import pytest

from tests.support.openai_spec import assert_matches_spec

pytestmark = pytest.mark.anyio


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


async def embed(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post("/v1/embeddings", json={"model": "local-embed", **body})


async def test_float_embeddings_have_openai_shape(client: httpx.AsyncClient) -> None:
    response = await embed(client, input=["first text", "second text"])
    assert response.status_code == 200
    body = response.json()
    assert_matches_spec(body, "CreateEmbeddingResponse")
    assert [item["index"] for item in body["data"]] == [0, 1]
    assert all(len(item["embedding"]) == 384 for item in body["data"])
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] == 4


async def test_base64_decodes_to_the_float_vector(client: httpx.AsyncClient) -> None:
    floats = (await embed(client, input="same text")).json()["data"][0]["embedding"]
    encoded = (await embed(client, input="same text", encoding_format="base64")).json()
    raw = base64.b64decode(encoded["data"][0]["embedding"])
    decoded = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    assert decoded == pytest.approx(floats, abs=1e-6)
    # The spec describes float vectors only; base64 carries the same floats.
    encoded["data"][0]["embedding"] = decoded
    assert_matches_spec(encoded, "CreateEmbeddingResponse")


async def test_local_vectors_are_stable_and_meaningful(client: httpx.AsyncClient) -> None:
    texts = [
        "the cat sat on the mat",
        "a cat sat on a mat",
        "quarterly revenue grew sharply",
        "the cat sat on the mat",
    ]
    vectors = [d["embedding"] for d in (await embed(client, input=texts)).json()["data"]]
    assert vectors[0] == vectors[3]
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3
    assert cosine(vectors[0], vectors[0]) == pytest.approx(1.0)


async def test_dimensions_shorten_the_vector(client: httpx.AsyncClient) -> None:
    body = (await embed(client, input="hello", dimensions=64)).json()
    vector = body["data"][0]["embedding"]
    assert len(vector) == 64
    assert math.sqrt(sum(v * v for v in vector)) == pytest.approx(1.0)


async def test_upstream_embeddings_are_relayed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/embeddings",
        json={
            "model": "fake-embed",
            "input": ["a", "b", "c"],
            "dimensions": 8,
            "encoding_format": "base64",
        },
    )
    body = response.json()
    assert response.status_code == 200 and body["model"] == "fake-embed"
    assert len(base64.b64decode(body["data"][2]["embedding"])) == 8 * 4


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": []}, "input"),
        ({"input": [""]}, "input"),
        ({"input": 5}, "input"),
        ({"input": "x", "encoding_format": "hex"}, "encoding_format"),
        ({"input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x", "dimensions": 4096}, "dimensions"),
        ({}, "input"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], param: str
) -> None:
    response = await embed(client, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param


async def test_chat_model_is_refused_for_embeddings(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/embeddings", json={"model": "local-chat", "input": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_model_type"


async def test_local_e5_model_embeds_meaning_not_just_wording(client: httpx.AsyncClient) -> None:
    texts = ["the cat sat on the mat", "a kitten rested on the rug", "quarterly revenue grew"]
    response = await client.post("/v1/embeddings", json={"model": "local-e5-small", "input": texts})
    body = response.json()
    assert response.status_code == 200, body
    assert_matches_spec(body, "CreateEmbeddingResponse")
    cat, kitten, revenue = (item["embedding"] for item in body["data"])
    assert len(cat) == 384
    assert cosine(cat, kitten) > cosine(cat, revenue)  # no shared words, still closer
    assert body["usage"]["prompt_tokens"] > 3 * 5
    again = await client.post("/v1/embeddings", json={"model": "local-e5-small", "input": texts[0]})
    assert again.json()["data"][0]["embedding"] == pytest.approx(cat, abs=1e-6)


async def test_local_e5_model_refuses_what_it_cannot_read(client: httpx.AsyncClient) -> None:
    long = await client.post(
        "/v1/embeddings", json={"model": "local-e5-small", "input": "word " * 600}
    )
    assert long.status_code == 400
    assert long.json()["error"]["code"] == "context_length_exceeded"
    short = await client.post(
        "/v1/embeddings", json={"model": "local-e5-small", "input": "x", "dimensions": 64}
    )
    assert short.status_code == 400 and short.json()["error"]["param"] == "dimensions"
