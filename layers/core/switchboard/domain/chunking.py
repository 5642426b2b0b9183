"""How a document's text is cut into chunks for retrieval, as OpenAI's vector stores cut it.

Two strategies, in OpenAI's request shape (`chunking_strategy`):

    {"type": "auto"}      800-token chunks, 400 tokens of overlap (what OpenAI's auto does)
    {"type": "static", "static": {"max_chunk_size_tokens": 100..4096,
                                  "chunk_overlap_tokens": 0..max_chunk_size_tokens / 2}}

Tokens are the platform's own pieces (domain/tokens.py), which join back into the text
exactly, so every chunk knows where it starts and ends in the text (character offsets,
`text[start:end] == chunk.text`).

A chunk holds at most `max_chunk_size_tokens`. Where a window would cut the text, the cut
moves back to the best break in the window's second half: a paragraph break (a blank line),
else a line break, else a sentence's end (., ! or ? before white space), else it falls at the
window's end. The next chunk starts `chunk_overlap_tokens` tokens before the cut, so
consecutive chunks share exactly that many tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchboard.domain.tokens import split_tokens
from switchboard.errors import InvalidRequestError

AUTO_MAX_TOKENS = 800
AUTO_OVERLAP_TOKENS = 400
MIN_CHUNK_TOKENS = 100
MAX_CHUNK_TOKENS = 4096
_PARAM = "chunking_strategy"
_SENTENCE_ENDS = (".", "!", "?")


@dataclass(frozen=True, slots=True)
class ChunkingStrategy:
    max_chunk_size_tokens: int = AUTO_MAX_TOKENS
    chunk_overlap_tokens: int = AUTO_OVERLAP_TOKENS
    type: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        """OpenAI's shape, as a vector store file reports it (auto is reported as static)."""
        static = {
            "max_chunk_size_tokens": self.max_chunk_size_tokens,
            "chunk_overlap_tokens": self.chunk_overlap_tokens,
        }
        return {"type": "static", "static": static}


AUTO = ChunkingStrategy()


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    text: str
    start: int  # character offsets in the whole text: text[start:end] == self.text
    end: int
    tokens: int


def parse_chunking_strategy(value: Any) -> ChunkingStrategy:
    """A request's `chunking_strategy` (absent: auto), judged as OpenAI judges it."""
    if value is None:
        return AUTO
    if not isinstance(value, dict) or value.get("type") not in ("auto", "static"):
        raise InvalidRequestError(
            "chunking_strategy.type must be 'auto' or 'static'.", param=f"{_PARAM}.type"
        )
    if value["type"] == "auto":
        return AUTO
    static = value.get("static")
    if not isinstance(static, dict):
        raise InvalidRequestError(
            "chunking_strategy.static is required when type is 'static'.",
            param=f"{_PARAM}.static",
        )
    size = _int(static, "max_chunk_size_tokens")
    overlap = _int(static, "chunk_overlap_tokens")
    return static_strategy(size, overlap)


def static_strategy(max_chunk_size_tokens: int, chunk_overlap_tokens: int) -> ChunkingStrategy:
    size, overlap = max_chunk_size_tokens, chunk_overlap_tokens
    if not MIN_CHUNK_TOKENS <= size <= MAX_CHUNK_TOKENS:
        raise InvalidRequestError(
            f"max_chunk_size_tokens must be between {MIN_CHUNK_TOKENS} and {MAX_CHUNK_TOKENS}; "
            f"got {size}.",
            param=f"{_PARAM}.static.max_chunk_size_tokens",
        )
    if not 0 <= overlap <= size // 2:
        raise InvalidRequestError(
            "chunk_overlap_tokens must be non-negative and must not exceed half of "
            f"max_chunk_size_tokens ({size // 2}); got {overlap}.",
            param=f"{_PARAM}.static.chunk_overlap_tokens",
        )
    return ChunkingStrategy(size, overlap, "static")


def _int(static: dict[str, Any], name: str) -> int:
    value = static.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestError(
            f"chunking_strategy.static.{name} must be an integer.",
            param=f"{_PARAM}.static.{name}",
        )
    return value


def chunk_text(text: str, strategy: ChunkingStrategy = AUTO) -> list[Chunk]:
    """The chunks of a text, in order; none for a text that is empty or only white space."""
    if not text.strip():
        return []
    pieces = split_tokens(text)
    offsets = [0]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece))
    size, overlap = strategy.max_chunk_size_tokens, strategy.chunk_overlap_tokens
    chunks: list[Chunk] = []
    first = 0
    while True:
        cut = _cut(pieces, first, size, overlap)
        start, end = offsets[first], offsets[cut]
        chunks.append(Chunk(len(chunks), text[start:end], start, end, cut - first))
        if cut >= len(pieces):
            return chunks
        first = cut - overlap


def _cut(pieces: list[str], first: int, size: int, overlap: int) -> int:
    """Where the chunk starting at `first` ends (exclusive token index)."""
    end = first + size
    if end >= len(pieces):
        return len(pieces)
    earliest = first + max(size // 2, overlap + 1)  # always progress past the overlap
    best, best_rank = end, 0
    for index in range(end, earliest - 1, -1):
        rank = _break_rank(pieces, index)
        if rank > best_rank:
            best, best_rank = index, rank
            if rank == 3:
                break
    return best


def _break_rank(pieces: list[str], index: int) -> int:
    """How good a cut before pieces[index] is: 3 paragraph, 2 line, 1 sentence, 0 none."""
    before = pieces[index - 1]
    if before.isspace() and before.count("\n") >= 2:
        return 3
    if before.isspace() and "\n" in before:
        return 2
    return 1 if before in _SENTENCE_ENDS and pieces[index][:1].isspace() else 0
