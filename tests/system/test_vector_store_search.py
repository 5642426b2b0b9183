"""Vector stores on the platform as `make serve` runs it, through the official SDK: search
with attribute filters (eq, numeric gt, compound and/or) and ranking options, a file removed
from a store (usage_bytes falls by exactly its bytes, its chunks are no longer found), and a
store deleted; the bodies as the wire carries them match OpenAI's spec. And the README's
"Documents and retrieval" example, run as written."""

from __future__ import annotations

import json
import re
from typing import Any

import openai
import pytest

from tests.support.openai_spec import assert_matches_spec
from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
POLL_MS = 200
NOTES = {  # filename: (text, attributes)
    "ops-2024.md": ("Spring tides follow the new and full moon.", {"team": "ops", "year": 2024}),
    "ops-2021.md": ("Neap tides come at the quarter moons.", {"team": "ops", "year": 2021}),
    "sales-2025.md": ("Tide tables are sold at the harbour.", {"team": "sales", "year": 2025}),
}


def _store_of_notes(sdk: openai.OpenAI, name: str) -> tuple[str, dict[str, str]]:
    """A store holding NOTES, each with its attributes; its id and {filename: file id}."""
    store = sdk.vector_stores.create(name=name)
    ids = {}
    for filename, (text, attributes) in NOTES.items():
        done = sdk.vector_stores.files.upload_and_poll(
            vector_store_id=store.id,
            file=(filename, text.encode(), "text/markdown"),
            attributes=attributes,
            poll_interval_ms=POLL_MS,
        )
        assert done.status == "completed", done
        ids[filename] = done.id
    return store.id, ids


def _search(sdk: openai.OpenAI, store_id: str, **params: Any) -> dict[str, Any]:
    """The search's body as sent (checked against the spec)."""
    raw = sdk.vector_stores.with_raw_response.search(store_id, query="tides", **params)
    body: dict[str, Any] = json.loads(raw.text)
    assert_matches_spec(body, "VectorStoreSearchResultsPage")
    return body


def _names(body: dict[str, Any]) -> set[str]:
    return {result["filename"] for result in body["data"]}


def test_search_filters_on_attributes_and_ranks_as_asked(sdk: openai.OpenAI) -> None:
    store_id, _ = _store_of_notes(sdk, "filtered")
    ops: Any = {"type": "eq", "key": "team", "value": "ops"}
    assert _names(_search(sdk, store_id, filters=ops)) == {"ops-2024.md", "ops-2021.md"}
    recent: Any = {"type": "gt", "key": "year", "value": 2022}
    assert _names(_search(sdk, store_id, filters=recent)) == {"ops-2024.md", "sales-2025.md"}
    either: Any = {
        "type": "or",
        "filters": [
            {"type": "and", "filters": [ops, {"type": "lt", "key": "year", "value": 2022}]},
            {"type": "eq", "key": "team", "value": "sales"},
        ],
    }
    body = _search(sdk, store_id, filters=either)
    assert _names(body) == {"ops-2021.md", "sales-2025.md"}
    assert all(r["attributes"] == NOTES[r["filename"]][1] for r in body["data"])
    hybrid: Any = {"ranker": "hybrid", "score_threshold": 0.01}
    ranked = _search(sdk, store_id, ranking_options=hybrid, max_num_results=2)["data"]
    scores = [result["score"] for result in ranked]
    assert len(ranked) == 2 and scores == sorted(scores, reverse=True) and min(scores) >= 0.01
    above_all: Any = {"ranker": "auto", "score_threshold": 1.0}
    assert _search(sdk, store_id, ranking_options=above_all)["data"] == []


def test_removing_a_file_takes_its_bytes_and_chunks_and_deleting_the_store_takes_all(
    sdk: openai.OpenAI,
) -> None:
    store_id, ids = _store_of_notes(sdk, "removals")
    before = sdk.vector_stores.retrieve(store_id)
    sizes = {name: len(text.encode()) for name, (text, _) in NOTES.items()}
    assert before.usage_bytes == sum(sizes.values()) and before.file_counts.total == 3
    raw = sdk.vector_stores.files.with_raw_response.delete(
        ids["ops-2024.md"], vector_store_id=store_id
    )
    assert_matches_spec(json.loads(raw.text), "DeleteVectorStoreFileResponse")
    assert raw.parse().deleted and raw.parse().id == ids["ops-2024.md"]
    after = sdk.vector_stores.retrieve(store_id)
    assert before.usage_bytes - after.usage_bytes == sizes["ops-2024.md"]
    assert (after.file_counts.total, after.file_counts.completed) == (2, 2)
    assert _names(_search(sdk, store_id, max_num_results=50)) == {"ops-2021.md", "sales-2025.md"}
    with pytest.raises(openai.NotFoundError):
        sdk.vector_stores.files.retrieve(ids["ops-2024.md"], vector_store_id=store_id)
    assert_matches_spec(
        json.loads(sdk.vector_stores.with_raw_response.retrieve(store_id).text),
        "VectorStoreObject",
    )
    deleted = sdk.vector_stores.with_raw_response.delete(store_id)
    assert_matches_spec(json.loads(deleted.text), "DeleteVectorStoreResponse")
    assert deleted.parse().deleted
    for gone in (
        lambda: sdk.vector_stores.retrieve(store_id),
        lambda: sdk.vector_stores.search(store_id, query="tides"),
        lambda: sdk.vector_stores.files.list(store_id),
    ):
        with pytest.raises(openai.NotFoundError):
            gone()
    assert store_id not in {store.id for store in sdk.vector_stores.list(limit=100)}


def test_the_readme_example_runs_as_written(server: RunningServer) -> None:
    output = run_readme_example(
        server, "file_batches.upload_and_poll", section="Documents and retrieval"
    ).stdout
    assert "batch: completed 2 of 2" in output and "file: completed None" in output
    assert re.search(r"^0\.\d\d expenses\.md \{'team': 'finance', 'year': 2025", output, re.M)
    assert re.search(r"^hybrid: \['refunds\.md'", output, re.M)
    assert "source: refunds.md" in output and "streamed sources: ['refunds.md'" in output
    expenses = len(b"# Expenses\n\nMeals abroad are paid up to 60 euros a day.")
    before, after = map(int, re.findall(r"^usage_bytes: (\d+) -> (\d+)$", output, re.M)[0])
    assert before - after == expenses and output.rstrip().endswith("deleted: True")
