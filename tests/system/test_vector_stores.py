"""Vector stores on the platform as `make serve` runs it, through the official SDK: files
uploaded, added and ingested by the template's VectorFilesFunction (its queue consumer runs
in the background, with the local e5 model), polled until done, then searched."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
DOCUMENTS = ROOT / "tests" / "fixtures" / "documents"
POLL_MS = 200


def test_upload_and_poll_indexes_a_file_for_search(sdk: openai.OpenAI) -> None:
    store = sdk.vector_stores.create(name="tides")
    done = sdk.vector_stores.files.upload_and_poll(
        vector_store_id=store.id,
        file=("tidal.pdf", (DOCUMENTS / "tidal.pdf").read_bytes(), "application/pdf"),
        attributes={"kind": "pdf"},
        poll_interval_ms=POLL_MS,
    )
    assert done.status == "completed" and done.last_error is None, done
    content = sdk.vector_stores.files.content(done.id, vector_store_id=store.id)
    assert [part.text for part in content] and all(part.text for part in content)
    page = sdk.vector_stores.search(store.id, query="tides", max_num_results=3)
    assert page.data and page.data[0].file_id == done.id
    assert page.data[0].attributes == {"kind": "pdf"}
    stored = sdk.vector_stores.retrieve(store.id)
    assert stored.file_counts.completed == 1 and stored.status == "completed"
    assert stored.usage_bytes == (DOCUMENTS / "tidal.pdf").stat().st_size


def test_file_batches_upload_and_poll_finish_every_file(sdk: openai.OpenAI) -> None:
    store = sdk.vector_stores.create(name="mixed")
    files = [
        ("guide.html", (DOCUMENTS / "guide.html").read_bytes(), "text/html"),
        ("notes.md", (DOCUMENTS / "notes.md").read_bytes(), "text/markdown"),
        ("blank.md", b"  \n\n \t\n", "text/markdown"),  # a Markdown file with no text
    ]
    batch = sdk.vector_stores.file_batches.upload_and_poll(
        store.id, files=files, poll_interval_ms=POLL_MS
    )
    assert batch.status == "completed", batch
    counts = batch.file_counts
    assert (counts.completed, counts.failed, counts.in_progress) == (2, 1, 0)
    (failed,) = sdk.vector_stores.files.list(store.id, filter="failed")
    assert failed.last_error is not None and failed.last_error.code == "invalid_file"
    assert failed.status == "failed"
