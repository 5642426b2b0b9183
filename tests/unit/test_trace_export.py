"""The export's lines and object names, and the Glue table in template.yaml that reads them:
the same columns, in the same order, with partition projection on day and app."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from switchboard.domain.trace_export import COLUMNS, PARTITIONS, object_key, objects, row
from switchboard.domain.traces import PromptRef, Trace, Usage
from switchboard.local.template import Template
from tests.conftest import ROOT

START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, 10, 15, tzinfo=UTC)


def trace(trace_id: str, app_id: str | None, day: int = 30) -> Trace:
    return Trace(
        trace_id, "chat.completions", START.replace(day=day), "usr_1", "usr_1",
        ended_at=START.replace(day=day, second=2), model="gpt-4o-mini", usage=Usage(3, 5),
        cost_micro_usd=420, latency_ms=2000, prompt=PromptRef("greet", 2), app_id=app_id,
        error={"type": "upstream_error", "message": "boom"}, metadata={"k": "v"},
    )  # fmt: skip


def glue_table() -> dict[str, object]:
    resources = Template.load(ROOT / "template.yaml").resources
    return dict(resources["TraceExportTable"]["Properties"]["TableInput"])


def test_the_glue_table_declares_the_lines_columns_in_order() -> None:
    table = glue_table()
    columns = table["StorageDescriptor"]["Columns"]  # type: ignore[index]
    assert [(c["Name"], c["Type"]) for c in columns] == list(COLUMNS)
    keys = [(c["Name"], c["Type"]) for c in table["PartitionKeys"]]  # type: ignore[attr-defined]
    assert keys == list(PARTITIONS)
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"  # type: ignore[index]
    assert parameters["projection.day.type"] == "date"  # type: ignore[index]
    assert parameters["projection.app.type"] == "injected"  # type: ignore[index]


def test_a_line_holds_every_column_as_json() -> None:
    line = row(trace("tr_1", "app_1"))
    assert list(line) == [name for name, _ in COLUMNS]
    assert line["cost_micro_usd"] == 420 and line["total_tokens"] == 8
    assert (line["prompt_slug"], line["prompt_version"]) == ("greet", 2)
    assert (line["error_type"], line["error_message"]) == ("upstream_error", "boom")
    assert line["started_at"] == "2026-11-30T10:00:00.000Z"


def test_objects_are_one_per_day_and_app_named_by_the_window() -> None:
    found = objects([trace("tr_1", None), trace("tr_2", "app_1"), trace("tr_3", None, 29)],
                    START, END)  # fmt: skip
    window = "20261130T100000Z-20261130T101500Z"
    assert sorted(found) == [
        f"trace-export/day=2026-11-29/app=none/{window}.jsonl",
        f"trace-export/day=2026-11-30/app=app_1/{window}.jsonl",
        f"trace-export/day=2026-11-30/app=none/{window}.jsonl",
    ]
    lines = found[object_key("2026-11-30", "none", START, END)].decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["tr_1"]
