"""The batch rules without sockets: the batch price (a catalog field, applied exactly and
rounded once), how a file is split into messages, how each line is judged, the lines the
output and error files hold, and the checks on an uploaded file."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.domain.batch_lines import (
    LINES_PER_MESSAGE,
    MAX_LINE_BYTES,
    Chunk,
    LineRequest,
    Malformed,
    failed_line,
    malformed_line,
    output_line,
    parse_line,
    plan_chunks,
)
from switchboard.domain.batches import Endpoint, Status
from switchboard.domain.billing import max_affordable_input, max_affordable_output
from switchboard.domain.catalog import CatalogError, load_catalog, parse_catalog
from switchboard.domain.files import check_filename, count_jsonl
from switchboard.errors import InsufficientCreditsError, InvalidRequestError

CATALOG = load_catalog()
PROVIDERS = {"p": {"kind": "openai_compatible", "base_url": "http://x/v1"}}


def priced(**spec: Any) -> Any:
    model = {"id": "m", "type": "chat", "provider": "p", "input_price_per_mtok": "0.15",
             "output_price_per_mtok": "0.60"} | spec  # fmt: skip
    return parse_catalog({"providers": PROVIDERS, "models": [model]}).get("m")


def line(custom_id: Any = "a", **changes: Any) -> bytes:
    body = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}
    data = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    return json.dumps(data | changes).encode()


def test_a_batch_discount_scales_the_sum_and_rounds_once() -> None:
    model = priced(batch_discount="0.333333")
    batch = model.batch_priced()
    assert (model.batch_discount_ppm, str(model.batch_discount)) == (333_333, "0.333333")
    # 1000 x 150000 + 500 x 600000 = 450,000,000 x 666,667 / 1e12 = 300.00015 -> 301
    assert batch.cost_micro_usd(1000, 500) == 301
    assert model.cost_micro_usd(1000, 500) == 450  # the live price is untouched
    assert priced().batch_priced().cost_micro_usd(1000, 500) == 450  # no discount: the same
    assert batch.cost_micro_usd(1, 0) == 1 and batch.cost_micro_usd(0, 0) == 0


def test_what_a_balance_affords_follows_the_discount_exactly() -> None:
    batch = priced(batch_discount="0.5").batch_priced()
    assert max_affordable_output(batch, 10, 0) == 0  # not even the prompt
    for available in (1, 7, 1000):
        tokens = max_affordable_output(batch, 10, available)
        assert batch.cost_micro_usd(10, tokens) <= available < batch.cost_micro_usd(10, tokens + 1)
        inputs = max_affordable_input(batch, available)
        assert batch.cost_micro_usd(inputs, 0) <= available < batch.cost_micro_usd(inputs + 1, 0)


@pytest.mark.parametrize("discount", ["1", "-0.1", "0.0000001", "half", 0.5])
def test_a_batch_discount_is_a_fraction_below_one_with_six_decimals(discount: Any) -> None:
    with pytest.raises(CatalogError, match="batch_discount"):
        priced(batch_discount=discount)


def test_a_file_is_split_into_messages_of_a_few_lines_each_as_byte_ranges() -> None:
    lines = [line(f"c{i}") + b"\n" for i in range(12)]
    lines.insert(3, b"   \n")  # a blank line: no request, but it keeps its number
    data = b"".join(lines)
    chunks = list(plan_chunks("batch_x", "in.jsonl", lines))
    assert [len(c.numbers) for c in chunks] == [LINES_PER_MESSAGE, LINES_PER_MESSAGE, 2]
    assert chunks[0].numbers == (1, 2, 3, 5, 6)
    for chunk in chunks:
        assert Chunk.of(chunk.message()) == chunk
        found = list(chunk.lines(data[chunk.start : chunk.end + 1]))
        assert [number for number, _, _ in found] == list(chunk.numbers)
        for number, offset, raw in found:
            assert data[offset : offset + len(raw)] == raw == lines[number - 1].rstrip(b"\n")


def test_a_repeated_custom_id_fails_the_later_lines_and_a_huge_line_goes_alone() -> None:
    huge = b'{"custom_id": "big", "pad": "' + b"x" * MAX_LINE_BYTES + b'"}\n'
    lines = [line("a") + b"\n", line("b") + b"\n", huge, line("a") + b"\n", line("a")]
    chunks = list(plan_chunks("batch_x", "in.jsonl", lines))
    assert [(c.numbers, c.duplicates, c.oversized) for c in chunks] == [
        ((1, 2), (), False),
        ((3,), (), True),
        ((4, 5), (4, 5), False),
    ]
    rest = chunks[2].remainder(5, chunks[2].end - len(lines[4]) + 1)
    assert (rest.numbers, rest.duplicates) == ((5,), (5,))


@pytest.mark.parametrize(
    ("raw", "code", "has_custom_id"),
    [
        (b"not json", "invalid_json", False),
        (b"[1, 2]", "invalid_json", False),
        (line(None), "missing_custom_id", False),
        (line(body=None), "missing_body", True),
        (line(url="/v1/embeddings"), "invalid_url", True),
        (line(method="GET"), "invalid_method", True),
        (line(body={"model": "local-embed", "input": "x"}), "invalid_model", True),
        (line(body={"model": "nope", "messages": []}), "model_not_found", True),
        (line(body={"model": "local-chat", "messages": [], "stream": True}), "invalid_value", True),
        (line(body={"model": "local-chat"}), "missing_required_parameter", True),
        (b'{"custom_id": "s", "x": "\\ud800"}', "invalid_json", True),
    ],
)
def test_every_kind_of_malformed_line_is_named(raw: bytes, code: str, has_custom_id: bool) -> None:
    judged = parse_line(7, raw, Endpoint.CHAT, CATALOG)
    assert isinstance(judged, Malformed) and judged.code == code, judged
    assert "7" in judged.message
    error_line = malformed_line("batch_x", judged)
    assert error_line["response"] is None and error_line["error"]["code"] == code
    assert (error_line["custom_id"] is not None) is has_custom_id
    assert ("line" in error_line["error"]) is (not has_custom_id)  # the line, when no custom_id


def test_a_good_line_and_a_duplicate_one() -> None:
    good = parse_line(1, line("ok"), Endpoint.CHAT, CATALOG)
    assert isinstance(good, LineRequest) and good.custom_id == "ok"
    again = parse_line(2, line("ok"), Endpoint.CHAT, CATALOG, duplicate=True)
    assert isinstance(again, Malformed) and again.code == "duplicate_custom_id"
    embed = {"model": "local-embed", "input": ["a", "b"]}
    vectors = parse_line(
        3, line("e", url="/v1/embeddings", body=embed), Endpoint.EMBEDDINGS, CATALOG
    )
    assert isinstance(vectors, LineRequest)


def test_output_and_error_lines_have_openais_shape() -> None:
    out = output_line("batch_x", 4, "c4", {"id": "chatcmpl-1"})
    assert out["id"].startswith("batch_req_") and out["error"] is None
    assert out["response"]["status_code"] == 200 and out["response"]["body"] == {"id": "chatcmpl-1"}
    assert out["id"] == output_line("batch_x", 4, "c4", {})["id"]  # fixed per (batch, line)
    refused = InsufficientCreditsError(
        "no money", required_usd="1.000000", available_usd="0.000000", max_affordable_tokens=0
    )
    err = failed_line("batch_x", 4, "c4", refused)
    assert err["response"]["status_code"] == 402
    assert err["response"]["body"]["error"]["code"] == "insufficient_credits"
    assert err["error"] == {"code": "insufficient_credits", "message": "no money"}


def test_statuses_as_openai_shows_them_and_where_finalizing_ends() -> None:
    assert Status.EXPIRING.shown == "in_progress" and Status.CANCELLING.shown == "cancelling"
    assert Status.IN_PROGRESS.outcome is Status.COMPLETED
    assert Status.CANCELLING.outcome is Status.CANCELLED
    assert Status.EXPIRING.outcome is Status.EXPIRED
    assert Status.VALIDATING.running and not Status.CANCELLING.running


def test_an_upload_is_checked_line_by_line() -> None:
    assert count_jsonl([line("a"), b"", b"  ", line("b")]) == 2
    with pytest.raises(InvalidRequestError, match="Line 3 of the file") as bad:
        count_jsonl([line("a"), b"", b"[1]", line("b")])
    assert (bad.value.code, bad.value.param) == ("invalid_jsonl", "file")
    with pytest.raises(InvalidRequestError, match="no requests"):
        count_jsonl([b"", b"\n"])
    assert check_filename("../../etc/pass wd.jsonl") == "pass wd.jsonl"
    assert check_filename("C:\\Users\\me\\in.jsonl") == "in.jsonl"
    with pytest.raises(InvalidRequestError):
        check_filename("")
