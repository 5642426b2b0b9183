"""The file_search tool's rules (domain/file_search.py): the tool taken out of a chat body,
its checks, the query, the context message's numbering and place, and the sources."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain.billing import Charge
from switchboard.domain.file_search import (
    DEFAULT_RESULTS,
    MAX_STORES,
    NOTHING_FOUND,
    FileSearch,
    Searched,
    best,
    by_embedding_model,
    context_message,
    fitting,
    search_query,
    sources,
    take_file_search,
    with_context,
)
from switchboard.domain.tokens import REPLY_PRIMING_TOKENS, count_message_tokens
from switchboard.domain.vector_stores import Retrieved, VectorStore
from switchboard.errors import InvalidRequestError

FUNCTION = {"type": "function", "function": {"name": "get_time", "parameters": {}}}


def found(store_id: str, file_id: str, filename: str, score: float, text: str) -> Retrieved:
    return Retrieved(store_id, file_id, filename, score, text, {})


def tool(**fields: Any) -> dict[str, Any]:
    return {"type": "file_search", "vector_store_ids": ["vs_1"]} | fields


def test_the_tool_is_taken_out_and_the_other_tools_stay() -> None:
    data = {"model": "m", "tools": [FUNCTION, tool(max_num_results=3)], "tool_choice": "auto"}
    rest, search = take_file_search(data)
    assert search == FileSearch(("vs_1",), 3)
    assert rest == {"model": "m", "tools": [FUNCTION], "tool_choice": "auto"}
    assert data["tools"] == [FUNCTION, tool(max_num_results=3)]  # the caller's body unchanged


def test_with_no_other_tool_tools_and_what_needs_them_go() -> None:
    data = {"model": "m", "tools": [tool()], "tool_choice": "required", "parallel_tool_calls": True}
    rest, search = take_file_search(data)
    assert rest == {"model": "m"}
    assert search == FileSearch(("vs_1",), DEFAULT_RESULTS)


@pytest.mark.parametrize("data", [{"model": "m"}, {"tools": [FUNCTION]}, {"tools": "garbage"}])
def test_a_body_without_the_tool_is_untouched(data: dict[str, Any]) -> None:
    assert take_file_search(data) == (data, None)


def test_a_store_named_twice_is_searched_once() -> None:
    _, search = take_file_search({"tools": [tool(vector_store_ids=["vs_2", "vs_1", "vs_2"])]})
    assert search is not None and search.vector_store_ids == ("vs_2", "vs_1")


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"vector_store_ids": []}, "tools[1].vector_store_ids"),
        ({"vector_store_ids": "vs_1"}, "tools[1].vector_store_ids"),
        ({"vector_store_ids": None}, "tools[1].vector_store_ids"),
        ({"vector_store_ids": ["vs_1", 7]}, "tools[1].vector_store_ids"),
        ({"vector_store_ids": [""]}, "tools[1].vector_store_ids"),
        (
            {"vector_store_ids": [f"vs_{n}" for n in range(MAX_STORES + 1)]},
            "tools[1].vector_store_ids",
        ),
        ({"max_num_results": 0}, "tools[1].max_num_results"),
        ({"max_num_results": 51}, "tools[1].max_num_results"),
        ({"max_num_results": "5"}, "tools[1].max_num_results"),
        ({"max_num_results": True}, "tools[1].max_num_results"),
        ({"max_num_results": 2.5}, "tools[1].max_num_results"),
        ({"filters": {"type": "eq", "key": "k", "value": 1}}, "tools[1].filters"),
    ],
)
def test_a_malformed_tool_is_400_naming_its_parameter(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        take_file_search({"tools": [FUNCTION, tool() | fields]})
    assert raised.value.param == param


def test_a_missing_store_list_is_400() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        take_file_search({"tools": [{"type": "file_search"}]})
    assert raised.value.param == "tools[0].vector_store_ids"


def test_two_file_search_tools_are_400() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        take_file_search({"tools": [tool(), FUNCTION, tool()]})
    assert raised.value.param == "tools[2]"


def test_the_query_is_the_last_user_messages_text() -> None:
    messages = [
        {"role": "user", "content": "an old question"},
        {"role": "assistant", "content": "an answer"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is the refund policy?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                {"type": "text", "text": "For annual plans."},
            ],
        },
        {"role": "tool", "content": "not a user message", "tool_call_id": "c"},
    ]
    assert search_query(messages) == "What is the refund policy?\nFor annual plans."


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "system", "content": "Be brief."}],
        [{"role": "user", "content": "earlier"}, {"role": "user", "content": "   "}],
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}],
    ],
)
def test_no_text_to_search_for_is_400(messages: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        search_query(messages)
    assert raised.value.param == "messages"


def test_the_chunks_are_numbered_with_their_filenames() -> None:
    chunks = [
        found("vs_1", "file-a", "refunds.md", 0.9, "Refunds within 30 days."),
        found("vs_2", "file-b", "plans.txt", 0.5, "Annual plans renew yearly."),
    ]
    content = context_message(chunks)["content"]
    assert context_message(chunks)["role"] == "system"
    assert "[1] refunds.md\nRefunds within 30 days." in content
    assert "[2] plans.txt\nAnnual plans renew yearly." in content
    assert content.index("[1] refunds.md") < content.index("[2] plans.txt")
    assert "cite" in content


def test_no_chunks_says_nothing_was_found() -> None:
    assert context_message([]) == {"role": "system", "content": NOTHING_FOUND}


def test_the_context_goes_after_the_leading_system_messages() -> None:
    context = {"role": "system", "content": "CONTEXT"}
    messages = [
        {"role": "system", "content": "skill"},
        {"role": "developer", "content": "caller's"},
        {"role": "user", "content": "question"},
        {"role": "system", "content": "a later note"},
    ]
    placed = with_context(messages, context)
    assert [m["content"] for m in placed] == [
        "skill", "caller's", "CONTEXT", "question", "a later note",
    ]  # fmt: skip
    assert with_context([{"role": "user", "content": "q"}], context)[0] == context


def test_sources_list_each_chunk_given_in_order() -> None:
    chunks = [
        found("vs_1", "file-a", "a.md", 0.25, "x"),
        found("vs_2", "file-b", "b.md", 0.75, "y"),
    ]
    ranked = best(chunks, 1)
    assert ranked == [chunks[1]]
    assert sources(best(chunks, 5)) == [
        {"vector_store_id": "vs_2", "file_id": "file-b", "filename": "b.md", "score": 0.75},
        {"vector_store_id": "vs_1", "file_id": "file-a", "filename": "a.md", "score": 0.25},
    ]


def charge(billed: int) -> Charge:
    return Charge(3, 0, billed, billed, 3)


def test_a_whole_answer_gets_the_sources_and_the_searchs_cost() -> None:
    given = sources([found("vs_1", "file-a", "a.md", 0.5, "x")])
    body = {
        "choices": [{"message": {"content": "hi"}}, {"message": {"content": "ho"}}],
        "usage": {"total_tokens": 9, "cost_usd": "0.000150"},
    }
    answered = Searched(given, [charge(2), None, charge(1)]).answered(body)
    assert [c["message"]["sources"] for c in answered["choices"]] == [given, given]
    assert answered["usage"]["cost_usd"] == "0.000153"
    uncharged = Searched([]).answered({"choices": [], "usage": {"cost_usd": "0.000150"}})
    assert uncharged["usage"]["cost_usd"] == "0.000150"


def test_a_stream_gets_the_sources_on_the_finishing_chunk_and_the_cost_on_the_usage() -> None:
    searched = Searched([{"file_id": "file-a"}], [charge(5)])
    words = {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}
    last = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None}
    usage = {"choices": [], "usage": {"total_tokens": 9, "cost_usd": "0.000001"}}
    assert searched.chunk(words)["choices"][0]["delta"] == {"content": "hi"}
    assert searched.chunk(last)["choices"][0]["delta"] == {"sources": [{"file_id": "file-a"}]}
    assert searched.chunk(usage)["usage"]["cost_usd"] == "0.000006"


def test_stores_are_grouped_by_embedding_model_in_the_order_named() -> None:
    def store(store_id: str, model: str) -> VectorStore:
        return VectorStore(store_id, "usr_1", "docs", 0, model, 384, 0)

    stores = [store("vs_1", "e5"), store("vs_2", "hashed"), store("vs_3", "e5")]
    groups = by_embedding_model(stores)
    assert [[s.store_id for s in group] for group in groups] == [["vs_1", "vs_3"], ["vs_2"]]


def test_only_the_best_chunks_that_fit_the_room_are_given() -> None:
    chunks = [
        found("vs_1", f"file-{n}", f"{n}.md", 1 - n / 10, "word " * 49 + "word") for n in range(5)
    ]
    for room in range(0, 400, 7):
        kept = fitting(chunks, room)
        assert kept == chunks[: len(kept)]
        if kept:
            assert count_message_tokens([context_message(kept)]) - REPLY_PRIMING_TOKENS <= room
        if len(kept) < len(chunks):
            more = context_message(chunks[: len(kept) + 1])
            assert count_message_tokens([more]) - REPLY_PRIMING_TOKENS > room
    assert fitting(chunks, 10_000) == chunks
