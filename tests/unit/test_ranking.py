"""Ranking (domain/ranking.py): cosine, BM25 over the candidates, and their fusions."""

from __future__ import annotations

import math

import pytest

from switchboard.domain.ranking import (
    bm25_scores,
    cosine,
    hybrid_scores,
    lexical_terms,
    order,
    reciprocal_rank_fusion,
    vector_scores,
    weighted_fusion,
)

TEXTS = [
    "The diesel engine ignites fuel by compression alone.",
    "Bees dance to show where flowers are.",
    "Engines of steam locomotives burned coal.",
]


def test_cosine() -> None:
    assert cosine([1.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine([1.0, 1.0], [-1.0, -1.0]) == pytest.approx(-1.0)
    assert cosine([0.0, 0.0], [1.0, 0.0]) == 0.0
    assert vector_scores([1.0, 0.0], [[1.0, 0.0], [1.0, 1.0]]) == pytest.approx(
        [1.0, 1 / math.sqrt(2)]
    )


def test_lexical_terms_drop_stop_words_and_strip_suffixes() -> None:
    assert lexical_terms("What are the Engines doing, quickly?") == ["engine", "doing", "quick"]
    assert lexical_terms("glass bus bodies burned") == ["glass", "bus", "body", "burn"]


def test_bm25_prefers_the_texts_with_rarer_query_terms() -> None:
    scores = bm25_scores("diesel engine", TEXTS)
    assert order(scores) == [0, 2, 1]
    assert scores[1] == 0.0
    assert bm25_scores("nothing shared", TEXTS) == [0.0, 0.0, 0.0]
    assert bm25_scores("anything", []) == []


def test_rrf_sums_reciprocal_ranks_and_ignores_texts_with_no_lexical_match() -> None:
    fused = reciprocal_rank_fusion([0.9, 0.5, 0.1], [0.0, 2.0, 1.0], k=60)
    assert fused == pytest.approx([1 / 61, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62])


def test_weighted_fusion_normalises_vectors_and_scales_bm25_by_its_ceiling() -> None:
    fused = weighted_fusion([0.2, 0.6, 0.4], [0.0, 1.0, 4.0], ceiling=4.0, weight=0.6)
    assert fused == pytest.approx([0.0, 0.6 + 0.1, 0.3 + 0.4])


def test_hybrid_lifts_a_lexical_match_and_keeps_the_vector_order_without_one() -> None:
    vector = [0.50, 0.55, 0.30]
    assert order(hybrid_scores("diesel compression", TEXTS, vector)) == [0, 1, 2]
    assert order(hybrid_scores("diesel compression", TEXTS, vector, "rrf"))[0] == 0
    assert order(hybrid_scores("unrelated words", TEXTS, vector)) == order(vector)


def test_candidates_that_all_score_the_same_keep_their_own_vector_score() -> None:
    """One candidate alone (or all equal) is not spread over a range: its fused score is its
    own clipped cosine's share, so a relevant lone chunk does not score 0."""
    from switchboard.domain.ranking import VECTOR_WEIGHT, hybrid_scores

    [alone] = hybrid_scores("unrelated words", ["a chunk about tides"], [0.82])
    assert alone == pytest.approx(VECTOR_WEIGHT * 0.82)
    assert hybrid_scores("x", ["a", "b"], [1.5, 1.5]) == pytest.approx([VECTOR_WEIGHT] * 2)
