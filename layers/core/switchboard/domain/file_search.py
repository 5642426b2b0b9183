"""The `file_search` tool of a chat completion, as rules on plain data: the tool taken out
of the body (the upstream never receives it), the query (the last user message), the one
system message that gives the model the retrieved chunks, where it goes, and the answer's
`sources`. api/routes/chat.py does the searching (docs/vector-stores.md, "file_search in
chat").

    {"tools": [{"type": "file_search", "vector_store_ids": ["vs_1"], "max_num_results": 5}]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from switchboard.domain.billing import Charge
from switchboard.domain.money import format_usd, parse_usd
from switchboard.domain.tokens import MESSAGE_OVERHEAD_TOKENS, count_tokens
from switchboard.errors import InvalidRequestError

if TYPE_CHECKING:  # annotations only: chat requests need not load the store rules
    from switchboard.domain.vector_stores import Retrieved, VectorStore

MAX_STORES = 10  # stores one file_search tool may name (OpenAI's spec states no bound)
MAX_RESULTS = 50  # OpenAI's bounds for max_num_results: 1 to 50
DEFAULT_RESULTS = 10
_KEYS = {"type", "vector_store_ids", "max_num_results"}
_SYSTEM_ROLES = ("system", "developer")

INSTRUCTION = (
    "The following excerpts were retrieved from the user's files for this conversation. "
    "Answer from them where they are relevant, cite the excerpts you use by their number "
    "(as [1]), and say so when they do not hold the answer."
)
NOTHING_FOUND = (
    "A search of the user's files for this conversation found nothing relevant. "
    "If the answer depends on those files, say that nothing was found in them."
)


@dataclass(frozen=True, slots=True)
class FileSearch:
    """A request's file_search tool: the stores to search and how many chunks to give."""

    vector_store_ids: tuple[str, ...]
    max_num_results: int = DEFAULT_RESULTS


def take_file_search(data: dict[str, Any]) -> tuple[dict[str, Any], FileSearch | None]:
    """The body without its file_search tool, and the tool (None: the body had none). The
    other tools stay; with none left, `tools` goes, and a tool_choice or
    parallel_tool_calls that only made sense with tools goes with it. A malformed tool is
    400 naming the parameter."""
    tools = data.get("tools")
    if not isinstance(tools, list):
        return data, None  # absent, or validation reports the wrong type
    found = [i for i, tool in enumerate(tools) if _is_file_search(tool)]
    if not found:
        return data, None
    if len(found) > 1:
        raise InvalidRequestError(
            "Only one file_search tool may be given.", param=f"tools[{found[1]}]"
        )
    search = parse_tool(tools[found[0]], f"tools[{found[0]}]")
    rest = [tool for i, tool in enumerate(tools) if i != found[0]]
    if rest:
        return data | {"tools": rest}, search
    data = {key: value for key, value in data.items() if key != "tools"}
    if data.get("tool_choice") in ("auto", "required", "none"):
        del data["tool_choice"]
    data.pop("parallel_tool_calls", None)
    return data, search


def parse_tool(tool: Mapping[str, Any], param: str) -> FileSearch:
    unknown = sorted(set(tool) - _KEYS)
    if unknown:
        raise InvalidRequestError(
            f"file_search in chat completions does not support {unknown[0]!r}.",
            param=f"{param}.{unknown[0]}",
        )
    return FileSearch(
        _store_ids(tool.get("vector_store_ids"), f"{param}.vector_store_ids"),
        _max_results(tool.get("max_num_results", DEFAULT_RESULTS), f"{param}.max_num_results"),
    )


def _store_ids(value: Any, param: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequestError(
            "vector_store_ids must be a non-empty array of vector store ids.", param=param
        )
    if not all(isinstance(item, str) and item for item in value):
        raise InvalidRequestError("vector_store_ids must hold non-empty strings.", param=param)
    ids = tuple(dict.fromkeys(value))  # each store once, in the order given
    if len(ids) > MAX_STORES:
        raise InvalidRequestError(
            f"vector_store_ids may name at most {MAX_STORES} vector stores; got {len(ids)}.",
            param=param,
        )
    return ids


def _max_results(value: Any, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RESULTS:
        raise InvalidRequestError(
            f"max_num_results must be an integer from 1 to {MAX_RESULTS}.", param=param
        )
    return value


def _is_file_search(tool: Any) -> bool:
    return isinstance(tool, Mapping) and tool.get("type") == "file_search"


def search_query(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the conversation's last user message (its text parts, joined); 400 when
    there is none to search for."""
    for message in reversed(messages):
        if message.get("role") == "user":
            text = _text(message.get("content")).strip()
            if text:
                return text
            break
    raise InvalidRequestError(
        "file_search needs a last user message with text to search for.", param="messages"
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text") or "")
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def context_message(chunks: Sequence[Retrieved]) -> dict[str, Any]:
    """The one system message that gives the model the chunks, numbered from 1 with their
    filename; says that nothing was found when there are none."""
    if not chunks:
        return {"role": "system", "content": NOTHING_FOUND}
    excerpts = [_excerpt(n, chunk) for n, chunk in enumerate(chunks, 1)]
    return {"role": "system", "content": "\n\n".join([INSTRUCTION, *excerpts])}


def fitting(chunks: Sequence[Retrieved], room: int) -> list[Retrieved]:
    """The best chunks whose context message fits in `room` prompt tokens (as
    domain/tokens.py counts them): the model is given, and the sources list, no more."""
    used = MESSAGE_OVERHEAD_TOKENS + count_tokens(INSTRUCTION)
    kept: list[Retrieved] = []
    for n, chunk in enumerate(chunks, 1):
        used += count_tokens("\n\n" + _excerpt(n, chunk))
        if used > room:
            break
        kept.append(chunk)
    return kept


def _excerpt(number: int, chunk: Retrieved) -> str:
    return f"[{number}] {chunk.filename}\n{chunk.text}"


def with_context(
    messages: Sequence[Mapping[str, Any]], context: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The messages with `context` after the leading system (and developer) messages: the
    skill's and the caller's own come first."""
    at = 0
    while at < len(messages) and messages[at].get("role") in _SYSTEM_ROLES:
        at += 1
    placed = [dict(message) for message in messages]
    return [*placed[:at], dict(context), *placed[at:]]


def sources(chunks: Sequence[Retrieved]) -> list[dict[str, Any]]:
    """The answer's `sources`: each chunk given to the model, in the order it was given."""
    return [
        {
            "vector_store_id": chunk.vector_store_id,
            "file_id": chunk.file_id,
            "filename": chunk.filename,
            "score": chunk.score,
        }
        for chunk in chunks
    ]


@dataclass(frozen=True, slots=True)
class Searched:
    """What a search gives the answer: the sources of the chunks the model was given, and
    the search's charges, which `usage.cost_usd` counts (what the request's ledger charged)."""

    sources: list[dict[str, Any]]
    charges: Sequence[Charge | None] = ()

    def answered(self, body: dict[str, Any]) -> dict[str, Any]:
        """A whole answer: the sources on each choice's message, the cost with the search's."""
        for choice in body.get("choices", ()):
            choice["message"]["sources"] = list(self.sources)
        self._cost(body.get("usage"))
        return body

    def chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """A stream's chunk: the sources on a choice that finishes, the cost on the usage."""
        for choice in chunk.get("choices", ()):
            if choice.get("finish_reason"):
                choice["delta"] = choice.get("delta", {}) | {"sources": list(self.sources)}
        if not chunk.get("choices"):
            self._cost(chunk.get("usage"))
        return chunk

    def _cost(self, usage: dict[str, Any] | None) -> None:
        if not usage or "cost_usd" not in usage:
            return
        searched = sum(charge.billed_micro_usd for charge in self.charges if charge is not None)
        usage["cost_usd"] = format_usd(parse_usd(usage["cost_usd"], param="cost_usd") + searched)


def by_embedding_model(stores: Sequence[VectorStore]) -> list[list[VectorStore]]:
    """The stores in groups that share an embedding model: one query embedding (one
    charge) for each group, in the order the stores were named."""
    groups: dict[str, list[VectorStore]] = {}
    for store in stores:
        groups.setdefault(store.embedding_model, []).append(store)
    return list(groups.values())


def best(chunks: Sequence[Retrieved], limit: int) -> list[Retrieved]:
    """The `limit` best chunks, best first (ties keep their order)."""
    return sorted(chunks, key=lambda chunk: -chunk.score)[:limit]
