"""The trace export on the emulator: traces ingested through the platform's store, exported
by the scheduled function's service as JSON Lines in the bucket, by day and app, with the
Glue table's columns; the watermark moves only forward and a window exported again replaces
its objects."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.trace_export import COLUMNS
from switchboard.domain.trace_ingestion import IngestedTrace, ingested_trace
from switchboard.domain.traces import iso
from switchboard.domain.validation import validate
from switchboard.services.trace_export import MAX_WINDOWS_PER_RUN, WATERMARK_KEY, TraceExporter


def a_day_of_our_own() -> datetime:
    """A day in 2024 no other test writes traces on."""
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=random.randrange(360))


def ingest(services: Container, user: User, started: datetime, app_id: str | None) -> str:
    body = validate(IngestedTrace, {
        "featureSlug": "f", "name": "n", "startTime": iso(started),
        "endTime": iso(started + timedelta(milliseconds=750)),
        "logs": [{"id": "a", "name": "gen", "type": "generation", "model": "m1",
                  "inputTokens": 4, "outputTokens": 6, "cost": 0.0005,
                  "startTime": iso(started), "endTime": iso(started)}],
    })  # fmt: skip
    trace = ingested_trace(body, user_id=user.user_id, payer_id=user.user_id, app_id=app_id)
    return services.trace_ingestion.ingest(trace)


def lines(services: Container, key: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in services.blobs.get(key).decode().splitlines()]


def test_a_window_is_exported_as_json_lines_by_day_and_app(
    services: Container, new_user: Callable[..., User]
) -> None:
    user, day = new_user(), a_day_of_our_own()
    start = day.replace(hour=9)
    inside = [ingest(services, user, start + timedelta(minutes=m), None) for m in (1, 5)]
    in_app = ingest(services, user, start + timedelta(minutes=7), "app_export_test")
    ingest(services, user, start + timedelta(minutes=20), None)  # after the window
    exporter = services.trace_exporter
    assert exporter.export_window(start, start + timedelta(minutes=15)) == 3
    prefix = f"trace-export/day={day:%Y-%m-%d}"
    window = f"{start:%Y%m%dT%H%M%SZ}-{start + timedelta(minutes=15):%Y%m%dT%H%M%SZ}"
    plain = lines(services, f"{prefix}/app=none/{window}.jsonl")
    assert sorted(line["id"] for line in plain) == sorted(inside)
    assert all(list(line) == [name for name, _ in COLUMNS] for line in plain)
    assert plain[0]["cost_micro_usd"] == 500 and plain[0]["latency_ms"] == 750
    assert plain[0]["payer_id"] == user.user_id and plain[0]["source"] == "ingested"
    [app_line] = lines(services, f"{prefix}/app=app_export_test/{window}.jsonl")
    assert app_line["id"] == in_app and app_line["app_id"] == "app_export_test"
    assert exporter.export_window(start, start + timedelta(minutes=15)) == 3  # same objects
    assert len(lines(services, f"{prefix}/app=none/{window}.jsonl")) == 2


def test_runs_export_from_the_watermark_to_half_an_hour_ago(
    services: Container, new_user: Callable[..., User]
) -> None:
    user, day = new_user(), a_day_of_our_own()
    set_watermark(services, day.replace(hour=11))
    first = ingest(services, user, day.replace(hour=11, minute=5), None)
    second = ingest(services, user, day.replace(hour=11, minute=50), None)
    now = day.replace(hour=12, minute=10, second=30)
    exporter = TraceExporter(services.trace_repo, services.blobs, lambda: now)
    assert exporter.run() == 1  # [11:00, 11:40): the first trace
    assert watermark(services) == iso(day.replace(hour=11, minute=40))
    assert [line["id"] for line in lines(services, _key(day, 11, 0, 11, 40))] == [first]
    now = day.replace(hour=12, minute=25)
    assert exporter.run() == 1  # [11:40, 11:55): the second
    assert [line["id"] for line in lines(services, _key(day, 11, 40, 11, 55))] == [second]
    assert exporter.run() == 0 and watermark(services) == iso(day.replace(hour=11, minute=55))


def test_a_long_pause_is_caught_up_an_hour_at_a_time(services: Container) -> None:
    day = a_day_of_our_own()
    set_watermark(services, day)
    exporter = TraceExporter(services.trace_repo, services.blobs, lambda: day + timedelta(days=1))
    exporter.run()
    assert watermark(services) == iso(day + timedelta(hours=MAX_WINDOWS_PER_RUN))
    exporter.run()
    assert watermark(services) == iso(day + timedelta(hours=23, minutes=30))


def set_watermark(services: Container, moment: datetime) -> None:
    body = json.dumps({"exported_until": iso(moment)}).encode()
    services.blobs.put(WATERMARK_KEY, body, content_type="application/json")


def watermark(services: Container) -> str:
    return str(json.loads(services.blobs.get(WATERMARK_KEY))["exported_until"])


def _key(day: datetime, h1: int, m1: int, h2: int, m2: int) -> str:
    start, end = day.replace(hour=h1, minute=m1), day.replace(hour=h2, minute=m2)
    window = f"{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}"
    return f"trace-export/day={day:%Y-%m-%d}/app=none/{window}.jsonl"
