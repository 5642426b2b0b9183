"""Retrieval through the platform as it ships, for retrieval_quality.py: `switchboard serve`
started as a user starts it (tests/support/server.py: a free port, its own emulated AWS, the
development user and key it prints), driven by the official openai SDK.

The documents are uploaded once as Files (purpose `assistants`, `<id>.txt`, the same text the
in-process part chunks: title, blank line, text). For each embedding model, a store is
created with `embedding_model` and the files are added by `file_batches.upload_and_poll`
(the template's VectorFilesFunction ingests them on its queue: chunk `auto`, embed, write to
S3 Vectors); its seconds, from the batch's creation to the poll that sees it done, are the
ingest seconds. Each question then goes through `vector_stores.search` (max_num_results 50,
all of the corpus here) with the default ranker (`auto`) and with `hybrid`; a question's rank
is that of its document's first result, None if it is not among them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from tests.support.server import RunningServer, server_env, start_server

RANKERS = ("auto", "hybrid")
MAX_RESULTS = 50
POLL_MS = 250


@dataclass
class PlatformRun:
    model: str
    ranker: str
    ingest_seconds: float
    ranks: list[int | None] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds per search call


def measure_platform(
    root: Path,
    models: Sequence[str],
    documents: list[dict[str, Any]],
    questions: list[dict[str, Any]],
) -> list[PlatformRun]:
    server = start_server(root, server_env(dict(os.environ)))
    try:
        with openai.OpenAI(
            base_url=f"{server.base_url}/v1", api_key=server.api_key, max_retries=0
        ) as client:
            return _measure(client, server, models, documents, questions)
    finally:
        server.stop()


def _measure(
    client: openai.OpenAI,
    server: RunningServer,
    models: Sequence[str],
    documents: list[dict[str, Any]],
    questions: list[dict[str, Any]],
) -> list[PlatformRun]:
    began = time.perf_counter()
    file_ids = [_upload(client, document) for document in documents]
    print(f"uploaded {len(file_ids)} files in {time.perf_counter() - began:.2f} s", flush=True)
    runs: list[PlatformRun] = []
    for model in models:
        store_id, seconds = _ingest(client, model, file_ids)
        if store_id is None:
            continue
        for ranker in RANKERS:
            run = PlatformRun(model, ranker, seconds)
            for question in questions:
                run.ranks.append(_rank(client, store_id, ranker, question, run.latencies))
            runs.append(run)
    return runs


def _upload(client: openai.OpenAI, document: dict[str, Any]) -> str:
    text = f"{document['title']}\n\n{document['text']}".encode()
    return client.files.create(file=(f"{document['id']}.txt", text), purpose="assistants").id


def _ingest(client: openai.OpenAI, model: str, file_ids: list[str]) -> tuple[str | None, float]:
    store = client.vector_stores.create(
        name=f"retrieval {model}", extra_body={"embedding_model": model}
    )
    began = time.perf_counter()
    batch = client.vector_stores.file_batches.upload_and_poll(
        store.id, files=[], file_ids=file_ids, poll_interval_ms=POLL_MS
    )
    seconds = time.perf_counter() - began
    counts = batch.file_counts
    print(
        f"{model}: {counts.completed} of {counts.total} files completed "
        f"({counts.failed} failed) in {seconds:.2f} s",
        flush=True,
    )
    if counts.completed != counts.total:
        failed = client.vector_stores.files.list(store.id, filter="failed")
        reasons = {f.last_error.code for f in failed if f.last_error is not None}
        print(f"{model}: not measured (failed: {sorted(reasons)})")
        return None, seconds
    return store.id, seconds


def _rank(
    client: openai.OpenAI,
    store_id: str,
    ranker: str,
    question: dict[str, Any],
    latencies: list[float],
) -> int | None:
    options: Any = {"ranker": ranker}  # "hybrid" is ours: the SDK's type lacks it
    began = time.perf_counter()
    page = client.vector_stores.search(
        store_id, query=question["question"], max_num_results=MAX_RESULTS, ranking_options=options
    )
    latencies.append(time.perf_counter() - began)
    seen: list[str] = []
    for result in page.data:
        owner = result.filename.removesuffix(".txt")
        if owner == question["document"]:
            return len(seen) + 1
        if owner not in seen:
            seen.append(owner)
    return None
