"""The retrieval benchmark's corpus (benchmarks/data/retrieval/) is what its docstring says."""

from __future__ import annotations

import json
from pathlib import Path

from switchboard.domain.ranking import lexical_terms

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "retrieval"


def _jsonl(name: str) -> list[dict[str, object]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_forty_documents_forty_questions_each_about_one_document() -> None:
    documents = {str(d["id"]): d for d in _jsonl("documents.jsonl")}
    questions = _jsonl("questions.jsonl")
    assert len(documents) >= 40 and len(questions) == 40
    assert len({str(d["title"]) for d in documents.values()}) == len(documents)
    assert all(q["document"] in documents for q in questions)
    assert len({str(q["question"]) for q in questions}) == 40


def test_at_least_ten_questions_share_no_content_word_with_their_document() -> None:
    documents = {str(d["id"]): d for d in _jsonl("documents.jsonl")}
    marked = [q for q in _jsonl("questions.jsonl") if q["no_shared_words"]]
    assert len(marked) >= 10
    for question in marked:
        document = documents[str(question["document"])]
        words = set(lexical_terms(f"{document['title']} {document['text']}"))
        assert not set(lexical_terms(str(question["question"]))) & words, question["id"]
