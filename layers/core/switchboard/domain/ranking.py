"""How retrieved chunks are ranked against a query: by vectors alone, or hybrid.

Vector ranking scores each chunk by the cosine of its embedding with the query's.

Hybrid ranking (`ranking_options.ranker: "hybrid"`) adds a lexical score, BM25 (k1 1.2,
b 0.75) over the candidate chunks themselves (their document frequencies, their mean
length), with a simple tokenizer: lower-cased words, English stop words dropped, a light
suffix stripping (plural -s and -ies, -ing, -ed, -ly), so "engines" matches "engine". The
two scores are fused in one of two ways:

- `rrf`, reciprocal rank fusion: score = sum over the two rankings of 1 / (60 + rank).
  It needs no calibration, and a chunk that neither ranking puts high stays low.
- `weighted`: VECTOR_WEIGHT (0.6) x the cosine, min-max normalised over the candidates, plus
  0.4 x the BM25 score over its ceiling (what a chunk matching every query term would
  approach), so a weak lexical match stays a small part however well it ranks.

`hybrid` means `weighted` (HYBRID_FUSION): on benchmarks/retrieval_quality.py it leaves the
e5 model's figures as vectors alone give them and lifts the hashed model's, where `rrf`
lowers e5's (a question with no word in common with its answer gets its lexical rank from
incidental words); figures in benchmarks/RESULTS.md, "Retrieval quality". The weight was
chosen on that benchmark's questions, so it is tuned to them, not validated on others.
A query with no word the candidates share scores 0 lexically everywhere: hybrid then keeps
the vector order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

Fusion = Literal["rrf", "weighted"]
RRF_K = 60  # the constant of Cormack, Clarke and Buettcher's paper, used by most engines
VECTOR_WEIGHT = 0.6
HYBRID_FUSION: Fusion = "weighted"
BM25_K1 = 1.2
BM25_B = 0.75
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP_TEXT = """a an and are as at be been but by can did do does for from had has have how i if
in into is it its of on or that the their them then there these they this to was were what when
where which who whom why will with would you your"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


def vector_scores(query: Sequence[float], vectors: Sequence[Sequence[float]]) -> list[float]:
    return [cosine(query, vector) for vector in vectors]


def lexical_terms(text: str) -> list[str]:
    """The words BM25 matches on: lower-cased, stop words dropped, suffixes stripped."""
    words = _WORD.findall(text.lower())
    return [_stem(word) for word in words if word not in _STOP_WORDS]


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def bm25_scores(query: str, texts: Sequence[str]) -> list[float]:
    """BM25 of each text for the query, over these texts as the collection."""
    return _bm25(query, texts)[0]


def _bm25(query: str, texts: Sequence[str]) -> tuple[list[float], float]:
    """The scores, and their ceiling: what a text matching every query term would approach
    (the sum of the terms' idf x (k1 + 1)), which puts the scores on a 0..1 scale."""
    documents = [Counter(lexical_terms(text)) for text in texts]
    lengths = [sum(terms.values()) for terms in documents]
    mean_length = sum(lengths) / len(lengths) if documents else 1.0
    scores, ceiling = [0.0] * len(documents), 0.0
    for term in set(lexical_terms(query)):
        frequency = sum(1 for terms in documents if term in terms)
        idf = math.log(1 + (len(documents) - frequency + 0.5) / (frequency + 0.5))
        ceiling += idf * (BM25_K1 + 1)
        for index, terms in enumerate(documents):
            count = terms.get(term, 0)
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[index] / (mean_length or 1.0))
            scores[index] += idf * count * (BM25_K1 + 1) / (count + norm)
    return scores, ceiling


def order(scores: Sequence[float]) -> list[int]:
    """Indices by descending score; ties keep their order."""
    return sorted(range(len(scores)), key=lambda index: -scores[index])


def reciprocal_rank_fusion(
    vector: Sequence[float], lexical: Sequence[float], k: int = RRF_K
) -> list[float]:
    """1 / (k + rank) from each ranking; a text with no lexical match gets no lexical part."""
    fused = [0.0] * len(vector)
    for rank, index in enumerate(order(vector), start=1):
        fused[index] += 1 / (k + rank)
    for rank, index in enumerate(order(lexical), start=1):
        if lexical[index] > 0:
            fused[index] += 1 / (k + rank)
    return fused


def weighted_fusion(
    vector: Sequence[float], lexical: Sequence[float], ceiling: float, weight: float = VECTOR_WEIGHT
) -> list[float]:
    """`weight` x the cosine min-max normalised over the candidates, plus the rest x BM25
    over its ceiling: a weak lexical match stays a small part however it ranks."""
    vector_part = _min_max(vector)
    lexical_part = [score / ceiling if ceiling else 0.0 for score in lexical]
    return [weight * v + (1 - weight) * w for v, w in zip(vector_part, lexical_part, strict=True)]


def _min_max(scores: Sequence[float]) -> list[float]:
    """Scores spread over [0, 1] by the candidates' range; candidates that all score the
    same (one alone, say) keep their own score, clipped to [0, 1], rather than all 0."""
    low, high = min(scores, default=0.0), max(scores, default=0.0)
    if high == low:
        return [min(1.0, max(0.0, score)) for score in scores]
    return [(score - low) / (high - low) for score in scores]


def hybrid_scores(
    query: str, texts: Sequence[str], vector: Sequence[float], fusion: Fusion = HYBRID_FUSION
) -> list[float]:
    """Vector scores of the texts fused with their BM25 scores for the query."""
    lexical, ceiling = _bm25(query, texts)
    if fusion == "rrf":
        return reciprocal_rank_fusion(vector, lexical)
    return weighted_fusion(vector, lexical, ceiling)
