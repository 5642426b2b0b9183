"""S3VectorIndex on the emulator's S3 Vectors, in the template's vector bucket: indexes made
once, writes in batches of the API's maximum, nearest-first queries with filters, and AWS's
errors as ours."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator

import pytest

from switchboard.adapters.aws.vectors import BATCH, GET_BATCH, S3VectorIndex
from switchboard.bootstrap import Container
from switchboard.errors import ConflictError, InvalidRequestError, NotFoundError


@pytest.fixture
def vectors(services: Container) -> S3VectorIndex:
    return services.vector_index


@pytest.fixture
def index(vectors: S3VectorIndex) -> Iterator[str]:
    name = f"store-{uuid.uuid4().hex[:12]}"
    vectors.ensure_index(name, dimension=2)
    yield name
    vectors.delete_index(name)


def _unit(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle)]


def test_ensure_index_is_idempotent_and_keeps_vectors(vectors: S3VectorIndex, index: str) -> None:
    vectors.put(index, [("a", [1.0, 0.0], {"text": "hello"})])
    vectors.ensure_index(index, dimension=2)
    assert [hit.key for hit in vectors.query(index, [1.0, 0.0], top_k=5)] == ["a"]


def test_an_index_of_another_shape_is_a_conflict(vectors: S3VectorIndex, index: str) -> None:
    with pytest.raises(ConflictError):
        vectors.ensure_index(index, dimension=3)
    with pytest.raises(ConflictError):
        vectors.ensure_index(index, dimension=2, metric="euclidean")


def test_put_writes_more_than_one_batch(vectors: S3VectorIndex, index: str) -> None:
    count = BATCH + 20
    vectors.put(index, [(f"k{i}", _unit(i / count), {"n": i}) for i in range(count)])
    hits = vectors.query(index, _unit(0.0), top_k=3)
    assert [hit.key for hit in hits] == ["k0", "k1", "k2"]
    assert hits[0].distance == pytest.approx(0.0, abs=1e-9)
    assert hits[1].metadata == {"n": 1}
    vectors.delete(index, [f"k{i}" for i in range(count - 1)])
    assert [hit.key for hit in vectors.query(index, _unit(0.0), top_k=3)] == [f"k{count - 1}"]


def test_present_names_the_keys_the_index_holds(vectors: S3VectorIndex, index: str) -> None:
    count = GET_BATCH + 5
    vectors.put(index, [(f"k{i}", _unit(i / count), {"n": i}) for i in range(count)])
    asked = [f"k{i}" for i in range(count)] + ["absent"]
    assert vectors.present(index, asked) == set(asked) - {"absent"}
    assert vectors.present(index, []) == set()


def test_query_filters_and_returns_metadata(vectors: S3VectorIndex, index: str) -> None:
    vectors.put(
        index,
        [
            ("a", _unit(0.0), {"text": "first", "lang": "en", "year": 2020}),
            ("b", _unit(0.1), {"text": "second", "lang": "fr", "year": 2024}),
            ("c", _unit(0.2), {"text": "third", "lang": "en", "year": 2025}),
        ],
    )
    query_filter = {"$and": [{"lang": "en"}, {"year": {"$gte": 2021}}]}
    hits = vectors.query(index, _unit(0.0), top_k=10, filter=query_filter)
    assert [(hit.key, hit.metadata["text"]) for hit in hits] == [("c", "third")]
    assert hits[0].distance == pytest.approx(1 - math.cos(0.2), abs=1e-6)


def test_the_text_key_is_not_filterable(vectors: S3VectorIndex, index: str) -> None:
    vectors.put(index, [("a", _unit(0.0), {"text": "hello"})])
    assert vectors.query(index, _unit(0.0), top_k=1, filter={"text": "hello"}) == []


def test_aws_errors_become_ours(vectors: S3VectorIndex, index: str) -> None:
    with pytest.raises(InvalidRequestError):
        vectors.put(index, [("a", [1.0, 0.0, 0.0], {})])
    with pytest.raises(InvalidRequestError):
        vectors.query(index, [1.0, 0.0], top_k=1, filter={"x": {"$regex": "."}})
    with pytest.raises(NotFoundError):
        vectors.query("no-such-index", [1.0, 0.0], top_k=1)
    vectors.delete_index("no-such-index")  # nothing to delete: no error
