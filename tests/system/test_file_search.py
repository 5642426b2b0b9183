"""file_search in chat on the platform as `make serve` runs it, through the official SDK: a
file uploaded and polled into a store (VectorFilesFunction's consumer ingests it), then a
chat completion with the file_search tool, whole and streamed, names it in its sources."""

from __future__ import annotations

from typing import Any

import openai
import pytest

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
HANDBOOK = b"# Handbook\n\nRefunds: annual plans are refunded in full within thirty days.\n"


def test_the_sdk_sends_file_search_and_reads_the_sources(sdk: openai.OpenAI) -> None:
    store = sdk.vector_stores.create(name="handbook")
    done = sdk.vector_stores.files.upload_and_poll(
        vector_store_id=store.id,
        file=("handbook.md", HANDBOOK, "text/markdown"),
        poll_interval_ms=200,
    )
    assert done.status == "completed", done
    tool: Any = {"type": "file_search", "vector_store_ids": [store.id], "max_num_results": 3}
    messages: Any = [{"role": "user", "content": "Are annual plans refunded?"}]
    whole = sdk.chat.completions.create(model="local-chat", messages=messages, tools=[tool])
    (source,) = (whole.choices[0].message.model_extra or {})["sources"]
    assert source["file_id"] == done.id and source["filename"] == "handbook.md"
    assert source["vector_store_id"] == store.id and 0 <= source["score"] <= 1
    chunks = list(
        sdk.chat.completions.create(
            model="local-chat", messages=messages, tools=[tool], stream=True
        )
    )
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    (last,) = finishing
    assert (last.choices[0].delta.model_extra or {})["sources"] == [source]
