"""The emulator's QueryVectors (local/moto_s3vectors.py) answers as S3 Vectors documents:
request and response shapes, exact distances with the index's metric, the metadata filter
language, and AWS's errors. Driven through a real boto3 s3vectors client."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from switchboard.bootstrap import Container

VECTORS = {
    "a": ([1.0, 0.0, 0.0], {"genre": "drama", "year": 2019, "tags": ["x", "y"], "ok": True}),
    "b": ([0.9, 0.1, 0.0], {"genre": "comedy", "year": 2021, "tags": ["y"], "ok": False}),
    "c": ([0.0, 1.0, 0.0], {"genre": "drama", "year": 2023}),
    "d": ([0.0, 0.0, 2.0], {"genre": "horror", "year": 2020.5, "text": "long"}),
}


@pytest.fixture
def s3vectors(services: Container) -> Any:
    return services.client("s3vectors")


@pytest.fixture
def bucket(services: Container) -> str:
    """The template's vector bucket, which the local runtime created."""
    arn = services.settings.VECTOR_BUCKET_ARN
    assert arn.startswith("arn:aws:s3vectors:")
    return arn.rsplit("/", 1)[1]


def _index(s3vectors: Any, bucket: str, metric: str) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:12]}"
    s3vectors.create_index(
        vectorBucketName=bucket,
        indexName=name,
        dataType="float32",
        dimension=3,
        distanceMetric=metric,
    )
    vectors = [
        {"key": k, "data": {"float32": data}, "metadata": meta}
        for k, (data, meta) in VECTORS.items()
    ]
    s3vectors.put_vectors(vectorBucketName=bucket, indexName=name, vectors=vectors)
    yield name
    s3vectors.delete_index(vectorBucketName=bucket, indexName=name)


@pytest.fixture
def cosine(s3vectors: Any, bucket: str) -> Iterator[str]:
    yield from _index(s3vectors, bucket, "cosine")


@pytest.fixture
def euclidean(s3vectors: Any, bucket: str) -> Iterator[str]:
    yield from _index(s3vectors, bucket, "euclidean")


def _cosine_distance(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return 1 - dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _query(s3vectors: Any, bucket: str, index: str, **kwargs: Any) -> Any:
    args = {"topK": 10, "queryVector": {"float32": [1.0, 0.2, 0.1]}} | kwargs
    return s3vectors.query_vectors(vectorBucketName=bucket, indexName=index, **args)


def _keys(answer: Any) -> list[str]:
    return [v["key"] for v in answer["vectors"]]


def test_cosine_orders_by_exact_distance(s3vectors: Any, bucket: str, cosine: str) -> None:
    query = [1.0, 0.2, 0.1]
    answer = _query(s3vectors, bucket, cosine, returnDistance=True)
    expected = sorted(VECTORS, key=lambda k: _cosine_distance(query, VECTORS[k][0]))
    assert answer["distanceMetric"] == "cosine"
    assert _keys(answer) == expected == ["b", "a", "c", "d"]
    for vector in answer["vectors"]:
        wanted = _cosine_distance(query, VECTORS[vector["key"]][0])
        assert vector["distance"] == pytest.approx(wanted, abs=1e-6)
        assert set(vector) == {"key", "distance"}


def test_euclidean_orders_by_exact_distance(s3vectors: Any, bucket: str, euclidean: str) -> None:
    query = [0.0, 0.9, 0.0]
    answer = _query(
        s3vectors, bucket, euclidean, queryVector={"float32": query}, returnDistance=True
    )
    assert answer["distanceMetric"] == "euclidean"
    assert _keys(answer) == ["c", "b", "a", "d"]
    for vector in answer["vectors"]:
        wanted = math.dist(query, VECTORS[vector["key"]][0])
        assert vector["distance"] == pytest.approx(wanted, abs=1e-6)


def test_flags_choose_what_each_result_holds(s3vectors: Any, bucket: str, cosine: str) -> None:
    bare = _query(s3vectors, bucket, cosine, topK=2)
    assert bare["vectors"] == [{"key": "b"}, {"key": "a"}]
    full = _query(s3vectors, bucket, cosine, topK=1, returnMetadata=True, returnDistance=True)
    (only,) = full["vectors"]
    assert only["metadata"] == VECTORS["b"][1] and "distance" in only


def test_the_index_is_found_by_its_arn(s3vectors: Any, bucket: str, cosine: str) -> None:
    arn = s3vectors.get_index(vectorBucketName=bucket, indexName=cosine)["index"]["indexArn"]
    answer = s3vectors.query_vectors(indexArn=arn, topK=1, queryVector={"float32": [0, 1, 0]})
    assert _keys(answer) == ["c"]


@pytest.mark.parametrize(
    ("query_filter", "keys"),
    [
        ({"genre": "drama"}, ["a", "c"]),
        ({"genre": {"$eq": "drama"}}, ["a", "c"]),
        ({"genre": {"$ne": "drama"}}, ["b", "d"]),
        ({"year": {"$gt": 2020}}, ["b", "c", "d"]),
        ({"year": {"$gte": 2021}}, ["b", "c"]),
        ({"year": {"$lt": 2020.5}}, ["a"]),
        ({"year": {"$lte": 2020.5}}, ["a", "d"]),
        ({"genre": {"$in": ["comedy", "horror"]}}, ["b", "d"]),
        ({"genre": {"$nin": ["comedy", "horror"]}}, ["a", "c"]),
        ({"tags": {"$exists": True}}, ["a", "b"]),
        ({"tags": {"$exists": False}}, ["c", "d"]),
        ({"tags": "x"}, ["a"]),  # a list matches when one of its elements does
        ({"tags": {"$in": ["y", "z"]}}, ["a", "b"]),
        ({"ok": True}, ["a"]),
        ({"ok": {"$ne": True}}, ["b", "c", "d"]),
        ({"year": {"$gte": 2020, "$lt": 2023}}, ["b", "d"]),
        ({"genre": "drama", "year": {"$gt": 2020}}, ["c"]),
        ({"$and": [{"genre": "drama"}, {"year": {"$lt": 2020}}]}, ["a"]),
        ({"$or": [{"genre": "comedy"}, {"year": {"$gte": 2023}}]}, ["b", "c"]),
        ({"$or": [{"$and": [{"genre": "drama"}, {"ok": True}]}, {"genre": "horror"}]}, ["a", "d"]),
    ],
)
def test_every_filter_operator(
    s3vectors: Any, bucket: str, cosine: str, query_filter: Any, keys: list[str]
) -> None:
    answer = _query(s3vectors, bucket, cosine, filter=query_filter)
    assert sorted(_keys(answer)) == keys


def test_filter_keeps_the_distance_order(s3vectors: Any, bucket: str, cosine: str) -> None:
    answer = _query(s3vectors, bucket, cosine, topK=1, filter={"genre": "drama"})
    assert _keys(answer) == ["a"]


def _error(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


@pytest.mark.parametrize(
    "args",
    [
        {"topK": 0},
        {"topK": 101},
        {"queryVector": {"float32": [1.0, 0.0]}},
        {"filter": {"genre": {"$regex": "d.*"}}},
        {"filter": {"$or": []}},
        {"filter": {"year": {"$gt": "2020"}}},
        {"filter": {"genre": {"$in": []}}},
    ],
)
def test_invalid_requests_are_validation_errors(
    services: Container, bucket: str, cosine: str, args: dict[str, Any]
) -> None:
    client = services._aws_session().create_client(
        "s3vectors", config=Config(parameter_validation=False)
    )
    assert _error(lambda: _query(client, bucket, cosine, **args)) == (400, "ValidationException")


def test_the_largest_top_k_is_accepted(s3vectors: Any, bucket: str, cosine: str) -> None:
    assert len(_query(s3vectors, bucket, cosine, topK=100)["vectors"]) == 4


def test_an_unknown_index_is_not_found(s3vectors: Any, bucket: str) -> None:
    status, code = _error(lambda: _query(s3vectors, bucket, "no-such-index"))
    assert (status, code) == (404, "NotFoundException")


def test_creating_an_existing_index_is_a_conflict(s3vectors: Any, bucket: str, cosine: str) -> None:
    create = lambda: s3vectors.create_index(  # noqa: E731
        vectorBucketName=bucket,
        indexName=cosine,
        dataType="float32",
        dimension=3,
        distanceMetric="cosine",
    )
    assert _error(create) == (409, "ConflictException")
    assert len(_query(s3vectors, bucket, cosine)["vectors"]) == 4  # its vectors are kept


def test_non_filterable_keys_are_not_seen_by_filters(s3vectors: Any, bucket: str) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    s3vectors.create_index(
        vectorBucketName=bucket,
        indexName=name,
        dataType="float32",
        dimension=1,
        distanceMetric="euclidean",
        metadataConfiguration={"nonFilterableMetadataKeys": ["text"]},
    )
    meta = {"text": "hi", "lang": "en"}
    s3vectors.put_vectors(
        vectorBucketName=bucket,
        indexName=name,
        vectors=[{"key": "a", "data": {"float32": [1.0]}, "metadata": meta}],
    )
    query = {"queryVector": {"float32": [0.0]}, "returnMetadata": True}
    assert _keys(_query(s3vectors, bucket, name, filter={"text": "hi"}, **query)) == []
    hits = _query(s3vectors, bucket, name, filter={"lang": "en"}, **query)["vectors"]
    assert hits == [{"key": "a", "metadata": meta}]  # returned, though not filterable
    s3vectors.delete_index(vectorBucketName=bucket, indexName=name)
