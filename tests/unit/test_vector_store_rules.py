"""Vector store rules: ids and index names, statuses and expiry, OpenAI's objects, attribute
rules, and OpenAI filters in S3 Vectors' filter language."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain.vector_filters import (
    attributes_of,
    check_attributes,
    s3_filter,
    vector_metadata,
)
from switchboard.domain.vector_stores import (
    ExpiresAfter,
    FileBatch,
    FileCounts,
    StoreFile,
    VectorStore,
    index_name,
    is_batch_id,
    is_store_id,
    new_batch_id,
    new_store_id,
    vector_keys,
)
from switchboard.errors import InvalidRequestError


def store(**changes: Any) -> VectorStore:
    values: dict[str, Any] = {"store_id": "vs_" + "a" * 24, "user_id": "u", "name": "n",
                              "created_at": 100, "embedding_model": "m", "dimension": 3,
                              "last_active_at": 1000} | changes  # fmt: skip
    return VectorStore(**values)


def test_ids_and_index_names() -> None:
    store_id, batch_id = new_store_id(), new_batch_id()
    assert is_store_id(store_id) and len(store_id) == 27 and is_batch_id(batch_id)
    assert not is_store_id("vs_../x") and not is_batch_id(store_id)
    name = index_name(store_id)
    assert name == "vs-" + store_id[3:] and 3 <= len(name) <= 63 and name == name.lower()
    assert vector_keys("file-1", 3) == ["file-1:0", "file-1:1", "file-1:2"]


def test_a_store_is_in_progress_while_a_file_is_then_completed_until_it_expires() -> None:
    assert store(file_counts=FileCounts(in_progress=1, total=1)).status(0) == "in_progress"
    assert store(file_counts=FileCounts(completed=1, total=1)).status(0) == "completed"
    expiring = store(expires_after=ExpiresAfter(2))
    assert expiring.expires_at == 1000 + 2 * 86_400
    assert expiring.status(1000 + 2 * 86_400 - 1) == "completed"
    assert expiring.status(1000 + 2 * 86_400) == "expired"
    assert store().expires_at is None and store().status(10**12) == "completed"


@pytest.mark.parametrize("days", [0, 366])
def test_expiry_is_one_to_365_days_after_last_activity(days: int) -> None:
    with pytest.raises(InvalidRequestError):
        ExpiresAfter(days)
    with pytest.raises(InvalidRequestError):
        ExpiresAfter(5, anchor="created_at")


def test_objects_are_openai_shaped() -> None:
    shown = store(usage_bytes=5, metadata={"a": "b"}).to_dict(0)
    assert shown["object"] == "vector_store" and shown["file_counts"]["total"] == 0
    assert "expires_after" not in shown and (shown["expires_at"], shown["usage_bytes"]) == (None, 5)
    expiring = store(expires_after=ExpiresAfter(3)).to_dict(0)["expires_after"]
    assert expiring == {"anchor": "last_active_at", "days": 3}
    file = StoreFile("vs_x", "file-1", "u", "a.txt", 10, 5, attributes={"k": 1}).to_dict()
    assert (file["object"], file["status"], file["usage_bytes"], file["last_error"]) == (
        "vector_store.file", "in_progress", 10, None,
    )  # fmt: skip
    assert file["chunking_strategy"]["type"] == "static"
    batch = FileBatch("vsfb_x", "vs_x", 1, ("a",), FileCounts(completed=1, total=1))
    assert batch.to_dict()["status"] == "completed"
    assert FileBatch("b", "s", 1, (), FileCounts(), cancelled=True).status == "cancelled"


def test_attributes_follow_openai_rules() -> None:
    assert check_attributes(None) == {}
    good = {"year": 2024, "draft": False, "author": "x" * 512, "w": 0.5}
    assert check_attributes(good) == good
    for bad in (
        {f"k{i}": i for i in range(17)},
        {"k" * 65: 1},
        {"": 1},
        {"v": "x" * 513},
        {"v": [1]},
        {"v": None},
        {"v": float("nan")},
        ["a"],
    ):
        with pytest.raises(InvalidRequestError) as raised:
            check_attributes(bad)
        assert raised.value.param == "attributes"


def test_attributes_must_fit_filterable_metadata() -> None:
    too_big = {f"k{i}": "x" * 200 for i in range(12)}
    with pytest.raises(InvalidRequestError, match="2048 bytes"):
        check_attributes(too_big)


def test_attributes_travel_in_vector_metadata() -> None:
    metadata = vector_metadata("file-1", 2, "hello", {"year": 2024})
    assert metadata == {"file_id": "file-1", "chunk": 2, "text": "hello", "attr_year": 2024}
    assert attributes_of(metadata) == {"year": 2024}


def test_filters_become_s3_vectors_filters() -> None:
    assert s3_filter(None) is None
    assert s3_filter({"type": "eq", "key": "a", "value": "x"}) == {"attr_a": {"$eq": "x"}}
    for kind in ("ne", "gt", "gte", "lt", "lte"):
        assert s3_filter({"type": kind, "key": "n", "value": 3}) == {"attr_n": {f"${kind}": 3}}
    assert s3_filter({"type": "in", "key": "t", "value": ["a", 1]}) == {"attr_t": {"$in": ["a", 1]}}
    nested = {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "draft", "value": False},
            {"type": "or", "filters": [{"type": "nin", "key": "t", "value": ["x"]},
                                       {"type": "lt", "key": "y", "value": 2.5}]},
        ],
    }  # fmt: skip
    assert s3_filter(nested) == {
        "$and": [
            {"attr_draft": {"$eq": False}},
            {"$or": [{"attr_t": {"$nin": ["x"]}}, {"attr_y": {"$lt": 2.5}}]},
        ]
    }


@pytest.mark.parametrize(
    "bad",
    [
        "x",
        {"type": "like", "key": "a", "value": 1},
        {"type": "eq", "value": 1},
        {"type": "eq", "key": "a", "value": None},
        {"type": "eq", "key": "a", "value": {"x": 1}},
        {"type": "gt", "key": "a", "value": "b"},
        {"type": "gt", "key": "a", "value": True},
        {"type": "in", "key": "a", "value": []},
        {"type": "in", "key": "a", "value": "b"},
        {"type": "and", "filters": []},
        {"type": "or"},
        {"type": "eq", "key": "a", "value": 1, "extra": 2},
    ],
)
def test_malformed_filters_are_400_naming_filters(bad: Any) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        s3_filter(bad)
    assert raised.value.param == "filters"


def test_filters_nest_only_so_deep() -> None:
    deep: dict[str, Any] = {"type": "eq", "key": "a", "value": 1}
    for _ in range(20):
        deep = {"type": "and", "filters": [deep]}
    with pytest.raises(InvalidRequestError):
        s3_filter(deep)
