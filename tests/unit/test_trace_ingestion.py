"""An ingested trace's mapping (domain/trace_ingestion.py): times, money, prompts, parents."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain.trace_ingestion import IngestedTrace, ingested_trace, parse_instant
from switchboard.domain.validation import validate
from switchboard.errors import InvalidRequestError


def body(*logs: dict[str, Any]) -> IngestedTrace:
    return validate(
        IngestedTrace,
        {
            "featureSlug": "f",
            "name": "n",
            "startTime": "2026-11-30T10:00:00+02:00",
            "endTime": "2026-11-30T08:00:03",
            "logs": list(logs),
        },
    )


def log(id: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "parentId": parent,
        "name": id,
        "type": "Span",
        "startTime": "2026-11-30T08:00:00Z",
        "endTime": "2026-11-30T08:00:01Z",
    } | extra


def test_times_with_an_offset_are_utc_and_without_one_are_taken_as_utc() -> None:
    trace = ingested_trace(body(), user_id="u", payer_id="u")
    assert trace.latency_ms == 3000 and trace.started_at.hour == 8
    assert parse_instant("2026-11-30T08:00:00", "t").tzinfo is not None


def test_costs_are_exact_micro_usd_and_summed() -> None:
    trace = ingested_trace(
        body(log("a", cost=0.1), log("b", cost=0.2), log("c", cost=1e-6)), user_id="u", payer_id="u"
    )
    assert trace.cost_micro_usd == 300_001
    assert [s.type for s in trace.spans] == ["trace", "span", "span", "span"]


def test_the_first_versioned_prompt_is_the_traces() -> None:
    trace = ingested_trace(
        body(
            log("a", prompt={"slug": "p", "tag": "production"}),
            log("b", prompt={"slug": "q", "version": "4"}),
        ),
        user_id="u",
        payer_id="u",
    )
    assert trace.prompt is not None and (trace.prompt.slug, trace.prompt.version) == ("q", 4)


def test_a_loop_of_parents_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        ingested_trace(body(log("a", "c"), log("b", "a"), log("c", "b")), user_id="u", payer_id="u")
    assert refused.value.param == "logs[0].parentId" and "loop" in refused.value.message
