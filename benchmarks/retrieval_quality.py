"""Retrieval quality: recall@1, recall@5 and mean reciprocal rank on a fixed corpus, for the
local e5 model and the hashed `local-embed`, ranked by vectors alone and hybrid: in-process,
then through the platform as it ships.

    .venv/bin/python benchmarks/retrieval_quality.py                # about a minute
    .venv/bin/python benchmarks/retrieval_quality.py --quick        # a smoke run: 12 documents
    .venv/bin/python benchmarks/retrieval_quality.py --in-process   # the first part alone

The corpus is benchmarks/data/retrieval/: 42 short documents on distinct topics
(documents.jsonl: id, title, text) and 40 questions, each answerable from exactly one of
them (questions.jsonl: question, document, no_shared_words); the ten marked
no_shared_words share no content word with their document (tests/unit/test_retrieval_corpus.py
holds that). Each document, its title as its first line, is chunked as a vector store chunks
it (domain/chunking.py, `auto` unless --max-chunk-tokens) and embedded through the platform's
own local provider (adapters/providers/local.py, its `embed`, as the API calls it); each
question is embedded the same way. Every chunk of the corpus is a candidate; chunks are
ranked (domain/ranking.py) by cosine alone (`vector`), or hybrid: BM25 over the candidates
fused with the cosine, by reciprocal rank fusion (`hybrid-rrf`) or a weighted normalised sum
(`hybrid-weighted`). A question's rank is that of the first chunk of its document.

Then the same corpus and questions through the platform (benchmarks/_retrieval_platform.py):
`switchboard serve` on a free port, the documents uploaded as Files, a store per model filled
by `file_batches.upload_and_poll`, each question through `vector_stores.search` with the
ranker `auto` and `hybrid` (the platform's hybrid is the weighted sum); with the ingest
seconds of each store and the p50 latency of a search call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import median, table  # noqa: E402
from benchmarks._retrieval_platform import measure_platform  # noqa: E402

from switchboard.adapters.providers.local import LocalProvider  # noqa: E402
from switchboard.domain.catalog import load_catalog  # noqa: E402
from switchboard.domain.chunking import AUTO, Chunk, chunk_text, static_strategy  # noqa: E402
from switchboard.domain.ranking import hybrid_scores, order, vector_scores  # noqa: E402
from switchboard.errors import ServiceUnavailableError  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "retrieval"
MODELS = ("local-e5-small", "local-embed")
BATCH = 32  # texts per embed call


@dataclass(frozen=True)
class Corpus:
    documents: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    chunks: list[Chunk]
    chunk_documents: list[str]  # the document id of each chunk


Ranker = Callable[[str, list[str], list[float]], list[float]]
RANKERS: dict[str, Ranker] = {
    "vector": lambda query, texts, scores: scores,
    "hybrid-rrf": lambda query, texts, scores: hybrid_scores(query, texts, scores, "rrf"),
    "hybrid-weighted": lambda query, texts, scores: hybrid_scores(query, texts, scores, "weighted"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 documents, their questions")
    parser.add_argument("--max-chunk-tokens", type=int, help="static chunking (default auto)")
    parser.add_argument("--overlap-tokens", type=int, default=0)
    parser.add_argument("--in-process", action="store_true", help="not through the platform")
    args = parser.parse_args()
    corpus = load_corpus(12 if args.quick else None, args.max_chunk_tokens, args.overlap_tokens)
    print(
        f"{len(corpus.documents)} documents, {len(corpus.chunks)} chunks, "
        f"{len(corpus.questions)} questions "
        f"({sum(q['no_shared_words'] for q in corpus.questions)} with no word in common)"
    )
    started = time.perf_counter()
    rows = asyncio.run(measure_all(corpus))
    print()
    headers = ["model", "ranker", "recall@1", "recall@5", "MRR", "MRR no-shared", "embed s"]
    print(table(headers, rows))
    print(f"\ntotal {time.perf_counter() - started:.2f} s")
    if not args.in_process:
        through_the_platform(corpus)


def through_the_platform(corpus: Corpus) -> None:
    print("\nThrough the platform (switchboard serve, the openai SDK, vector_stores.search)")
    started = time.perf_counter()
    runs = measure_platform(ROOT, MODELS, corpus.documents, corpus.questions)
    rows = [
        [
            run.model,
            run.ranker,
            *(f"{value:.3f}" for value in metrics(corpus, run.ranks)),
            f"{run.ingest_seconds:.2f}",
            f"{median(run.latencies) * 1000:.1f}",
        ]
        for run in runs
    ]
    headers = ["model", "ranker", "recall@1", "recall@5", "MRR", "MRR no-shared", "ingest s"]
    print()
    print(table([*headers, "search p50 ms"], rows))
    print(f"\ntotal {time.perf_counter() - started:.2f} s (the platform's start included)")


def load_corpus(limit: int | None, max_tokens: int | None, overlap: int) -> Corpus:
    documents = _jsonl(DATA / "documents.jsonl")[:limit]
    kept = {document["id"] for document in documents}
    questions = [q for q in _jsonl(DATA / "questions.jsonl") if q["document"] in kept]
    strategy = static_strategy(max_tokens, overlap) if max_tokens else AUTO
    chunks: list[Chunk] = []
    owners: list[str] = []
    for document in documents:
        pieces = chunk_text(f"{document['title']}\n\n{document['text']}", strategy)
        chunks += pieces
        owners += [document["id"]] * len(pieces)
    return Corpus(documents, questions, chunks, owners)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


async def measure_all(corpus: Corpus) -> list[list[object]]:
    provider = LocalProvider()
    catalog = load_catalog()
    rows: list[list[object]] = []
    try:
        for model_id in MODELS:
            began = time.perf_counter()
            try:
                chunk_vectors = await embed(provider, catalog.get(model_id), corpus.chunks)
                questions = [q["question"] for q in corpus.questions]
                query_vectors = await embed(provider, catalog.get(model_id), questions)
            except ServiceUnavailableError as error:
                print(f"{model_id}: not measured ({error.message})")
                continue
            seconds = time.perf_counter() - began
            for name, ranker in RANKERS.items():
                ranks = [
                    rank_of(corpus, question, vector, chunk_vectors, ranker)
                    for question, vector in zip(corpus.questions, query_vectors, strict=True)
                ]
                figures = [f"{value:.3f}" for value in metrics(corpus, ranks)]
                rows.append([model_id, name, *figures, f"{seconds:.2f}"])
    finally:
        await provider.aclose()
    return rows


async def embed(provider: LocalProvider, model: Any, texts: Sequence[Chunk | str]) -> list[Any]:
    strings = [text.text if isinstance(text, Chunk) else text for text in texts]
    vectors: list[Any] = []
    for first in range(0, len(strings), BATCH):
        result = await provider.embed(strings[first : first + BATCH], model, None)
        vectors += result.vectors
    return vectors


def rank_of(
    corpus: Corpus,
    question: dict[str, Any],
    vector: list[float],
    chunk_vectors: list[list[float]],
    ranker: Ranker,
) -> int:
    """The 1-based rank of the question's document, by its best-placed chunk."""
    texts = [chunk.text for chunk in corpus.chunks]
    scores = ranker(question["question"], texts, vector_scores(vector, chunk_vectors))
    seen: list[str] = []
    for index in order(scores):
        owner = corpus.chunk_documents[index]
        if owner == question["document"]:
            return len(seen) + 1
        if owner not in seen:
            seen.append(owner)
    raise AssertionError(f"no chunk of {question['document']}")


def metrics(corpus: Corpus, found: Sequence[int | None]) -> list[float]:
    """recall@1, recall@5, MRR, MRR of the no-shared-words questions; a rank of None (not
    among the results) counts as a miss."""
    ranks = [float("inf") if rank is None else rank for rank in found]
    count = len(ranks)
    hard = [r for r, q in zip(ranks, corpus.questions, strict=True) if q["no_shared_words"]]
    return [
        sum(rank <= 1 for rank in ranks) / count,
        sum(rank <= 5 for rank in ranks) / count,
        sum(1 / rank for rank in ranks) / count,
        sum(1 / rank for rank in hard) / len(hard) if hard else float("nan"),
    ]


if __name__ == "__main__":
    main()
