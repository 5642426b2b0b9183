"""Files and batches through the official `openai` SDK, unchanged, on the platform as `make
serve` runs it: the template's state machine, step and line workers (several at once, the
event source's maximum concurrency) and sweeper all run in the background."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from switchboard.domain.catalog import load_catalog
from switchboard.domain.money import format_usd
from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
ENDED = {"completed", "failed", "cancelled", "expired"}


def requests_file(path: Path, count: int) -> bytes:
    lines = [
        {"custom_id": f"request-{n}", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "local-chat", "max_tokens": 16,
                  "messages": [{"role": "user", "content": f"Question number {n}"}]}}
        for n in range(1, count + 1)
    ]  # fmt: skip
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    path.write_bytes(data)
    return data


def until_ended(sdk: openai.OpenAI, batch_id: str, within: float) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        batch = sdk.batches.retrieve(batch_id)
        if batch.status in ENDED:
            return batch
        time.sleep(0.25)
    raise AssertionError(f"{batch_id} still {batch.status} after {within} s")


def test_files_and_a_batch_through_the_official_sdk(sdk: openai.OpenAI, tmp_path: Path) -> None:
    data = requests_file(tmp_path / "requests.jsonl", 12)
    with (tmp_path / "requests.jsonl").open("rb") as handle:
        uploaded = sdk.files.create(file=handle, purpose="batch")
    assert (uploaded.purpose, uploaded.bytes, uploaded.filename) == (
        "batch", len(data), "requests.jsonl",
    )  # fmt: skip
    assert sdk.files.retrieve(uploaded.id) == uploaded
    assert uploaded.id in [f.id for f in sdk.files.list()]
    assert sdk.files.content(uploaded.id).content == data

    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h",
        metadata={"purpose": "system test"},
    )  # fmt: skip
    assert batch.status == "validating" and batch.metadata == {"purpose": "system test"}
    done = until_ended(sdk, batch.id, within=60)
    assert done.status == "completed" and done.error_file_id is None
    assert done.request_counts is not None and done.request_counts.completed == 12
    assert done.usage is not None and done.usage.total_tokens > 0
    assert all(
        at is not None for at in (done.in_progress_at, done.finalizing_at, done.completed_at)
    )
    output = [json.loads(line) for line in sdk.files.content(done.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in output] == [f"request-{n}" for n in range(1, 13)]
    assert "Question number 7" in output[6]["response"]["body"]["choices"][0]["message"]["content"]
    assert sdk.files.retrieve(done.output_file_id).purpose == "batch_output"
    assert batch.id in [b.id for b in sdk.batches.list(limit=5)]
    assert sdk.batches.cancel(batch.id).status == "completed"  # finished: unchanged
    assert sdk.files.delete(uploaded.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(uploaded.id)


def test_cancelling_through_the_sdk(sdk: openai.OpenAI, tmp_path: Path) -> None:
    requests_file(tmp_path / "many.jsonl", 300)
    with (tmp_path / "many.jsonl").open("rb") as handle:
        uploaded = sdk.files.create(file=handle, purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    cancelling = sdk.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    done = until_ended(sdk, batch.id, within=60)
    assert done.status == "cancelled" and done.cancelled_at is not None
    counts = done.request_counts
    assert counts is not None and counts.completed + counts.failed < 300


def test_a_thousand_line_batch_runs_to_completion(sdk: openai.OpenAI, tmp_path: Path) -> None:
    requests_file(tmp_path / "thousand.jsonl", 1000)
    with (tmp_path / "thousand.jsonl").open("rb") as handle:
        uploaded = sdk.files.create(file=handle, purpose="batch")
    started = time.monotonic()
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = until_ended(sdk, batch.id, within=240)
    elapsed = time.monotonic() - started
    print(f"\n1,000-line batch: {elapsed:.1f} s from create to completed")
    assert done.status == "completed" and done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed) == (1000, 1000)
    output = [json.loads(line) for line in sdk.files.content(done.output_file_id).text.splitlines()]
    assert len({line["custom_id"] for line in output}) == len(output) == 1000
    price = load_catalog().get("local-chat").batch_priced()  # each line billed at batch price
    usages = [line["response"]["body"]["usage"] for line in output]
    cost = sum(price.cost_micro_usd(u["prompt_tokens"], u["completion_tokens"]) for u in usages)
    assert done.to_dict()["cost_usd"] == format_usd(cost)


def test_the_readmes_batch_example_runs_as_written(server: RunningServer) -> None:
    result = run_readme_example(server, "client.batches.create")
    assert result.stdout.startswith("completed") and "You said: Question 3" in result.stdout
