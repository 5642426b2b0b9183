"""Chunking (domain/chunking.py): windows of tokens, cut at the best break, with exact overlap."""

from __future__ import annotations

import itertools

import pytest

from switchboard.domain.chunking import (
    AUTO,
    chunk_text,
    parse_chunking_strategy,
    static_strategy,
)
from switchboard.domain.tokens import count_tokens, split_tokens
from switchboard.errors import InvalidRequestError


def words(count: int, start: int = 0) -> str:
    """`count` single-token words (each ' wNNNN' is one piece: a space and letters)."""
    return "".join(" w" + _letters(start + index) for index in range(count))


def _letters(number: int) -> str:
    return "".join(chr(ord("a") + int(digit)) for digit in f"{number:04d}")


def static(size: object, overlap: object) -> dict[str, object]:
    return {
        "type": "static",
        "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap},
    }


def test_auto_is_800_tokens_with_400_of_overlap() -> None:
    assert parse_chunking_strategy(None) == AUTO
    assert parse_chunking_strategy({"type": "auto"}) == AUTO
    assert (AUTO.max_chunk_size_tokens, AUTO.chunk_overlap_tokens) == (800, 400)
    assert AUTO.to_dict() == static(800, 400)


def test_text_without_breaks_is_cut_into_full_windows_sharing_exactly_the_overlap() -> None:
    text = words(1000)
    chunks = chunk_text(text, static_strategy(300, 100))
    assert [chunk.tokens for chunk in chunks] == [300, 300, 300, 300, 200]
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert count_tokens(chunk.text) == chunk.tokens
    for before, after in itertools.pairwise(chunks):
        shared = split_tokens(before.text)[-100:]
        assert split_tokens(after.text)[:100] == shared
    assert chunks[-1].end == len(text)


def test_auto_chunks_a_long_text_at_800_tokens_and_400_overlap() -> None:
    chunks = chunk_text(words(2000))
    assert [chunk.tokens for chunk in chunks] == [800, 800, 800, 800]
    assert [chunk.start for chunk in chunks][:2] == [0, 400 * len(" waaaa")]


def test_the_cut_moves_back_to_a_paragraph_break_in_the_window() -> None:
    first = words(150) + "."  # 151 tokens, then a blank line (one whitespace piece)
    text = first + "\n\n" + words(200, 150).lstrip()
    chunks = chunk_text(text, static_strategy(200, 0))
    assert chunks[0].text == first + "\n\n"
    assert chunks[0].tokens == 152
    assert chunks[1].start == len(first) + 2


def test_a_paragraph_break_beats_a_later_sentence_end() -> None:
    text = words(120) + "\n\n" + words(40, 120).lstrip() + "." + words(100, 160)
    chunk = chunk_text(text, static_strategy(200, 50))[0]
    assert chunk.text.endswith("\n\n") and chunk.tokens == 121


def test_a_sentence_end_is_used_when_there_is_no_line_break() -> None:
    text = words(170) + "." + words(100, 170)
    chunks = chunk_text(text, static_strategy(200, 20))
    assert chunks[0].text.endswith(".") and chunks[0].tokens == 171
    assert split_tokens(chunks[1].text)[:20] == split_tokens(chunks[0].text)[-20:]


def test_a_break_too_early_in_the_window_is_ignored() -> None:
    text = words(30) + "\n\n" + words(400, 30)  # a break at token 31 of a 200-token window
    assert chunk_text(text, static_strategy(200, 0))[0].tokens == 200


def test_tiny_and_empty_texts() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\t ") == []
    [chunk] = chunk_text("Hello, world.")
    assert (chunk.text, chunk.start, chunk.end, chunk.tokens, chunk.index) == (
        "Hello, world.", 0, 13, 4, 0,
    )  # fmt: skip


def test_offsets_cover_non_ascii_text_exactly() -> None:
    text = ("Grüße aus Köln — 東京 and ünïcode. " * 200).strip()
    chunks = chunk_text(text, static_strategy(100, 30))
    assert len(chunks) > 3
    assert all(text[c.start : c.end] == c.text and c.tokens <= 100 for c in chunks)
    assert chunks[-1].end == len(text)


@pytest.mark.parametrize(
    ("value", "param"),
    [
        ({"type": "semantic"}, "chunking_strategy.type"),
        ("auto", "chunking_strategy.type"),
        ({"type": "static"}, "chunking_strategy.static"),
        (static(99, 0), "chunking_strategy.static.max_chunk_size_tokens"),
        (static(4097, 0), "chunking_strategy.static.max_chunk_size_tokens"),
        (static(200, 101), "chunking_strategy.static.chunk_overlap_tokens"),
        (static(200, -1), "chunking_strategy.static.chunk_overlap_tokens"),
        (static("800", 0), "chunking_strategy.static.max_chunk_size_tokens"),
        (
            {"type": "static", "static": {"max_chunk_size_tokens": 800}},
            "chunking_strategy.static.chunk_overlap_tokens",
        ),
    ],
)
def test_invalid_strategies_name_the_parameter(value: object, param: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_chunking_strategy(value)
    assert caught.value.param == param


def test_static_bounds_are_inclusive() -> None:
    low = {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 50}
    high = {"max_chunk_size_tokens": 4096, "chunk_overlap_tokens": 2048}
    assert parse_chunking_strategy({"type": "static", "static": low}).max_chunk_size_tokens == 100
    assert parse_chunking_strategy({"type": "static", "static": high}).chunk_overlap_tokens == 2048
