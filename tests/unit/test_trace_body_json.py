"""A span's inline body, as its item keeps it: the JSON Tracing.writes serialized once is
written as it is when json.dumps (ASCII, as the item keeps it) would write the same, and
parsed and written again otherwise; either way the item holds what it always did."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from switchboard.adapters.aws.traces import DynamoTraceRepository
from switchboard.domain.traces import Usage
from switchboard.services.tracing import Tracing

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Message(BaseModel):
    role: str
    content: str | None = None


def span_body_json(input: Any, output: Any) -> str:
    tracing = Tracing(DynamoTraceRepository(None, "t"), None, now=lambda: T0)  # builds only
    ctx = tracing.start(name="chat.completions", span_type="llm", user_id="u", payer_id="u")
    ctx.record(input, output)
    writes = tracing.writes(ctx, model="m", usage=Usage(1, 2), cost_micro_usd=3)
    return str(writes[0]["Put"]["Item"]["body_json"]["S"])


@pytest.mark.parametrize(
    "content",
    ["plain words", 'quotes " and \\ and \n\t\x01', "del \x7f", "café 😀", "lone \ud800"],
)
def test_the_inline_body_is_the_json_of_its_plain_values(content: str) -> None:
    input = [Message(role="user", content=content), ("a", 1.5, None, float("nan"))]
    output = {"content": content, "n": 10**20, "f": -0.0}
    plain = json.loads(json.dumps({"input": input, "output": output}, default=_plain))
    expected = json.dumps(plain, separators=(",", ":"))
    assert span_body_json(input, output) == expected


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True, by_alias=True)
    return list(value)
