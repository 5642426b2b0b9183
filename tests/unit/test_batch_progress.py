"""`switchboard batch`: the progress line, the text views of batches, and the arguments."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest

from switchboard.batch_client.progress import Counts, Progress, Rate, bar, duration, progress_line
from switchboard.batch_client.views import batch_fields, batch_table, format_fields, summary
from switchboard.cli import DEFAULT_BASE_URL, _parser


def a_batch(status: str = "in_progress", total: int = 1000, completed: int = 300,
            failed: int = 12, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": "batch_1", "object": "batch", "endpoint": "/v1/chat/completions",
        "status": status, "input_file_id": "file-in", "output_file_id": None,
        "error_file_id": None, "created_at": 1_700_000_000, "in_progress_at": 1_700_000_002,
        "completed_at": None, "expires_at": 1_700_086_400, "errors": None, "metadata": None,
        "request_counts": {"total": total, "completed": completed, "failed": failed},
        "usage": {"input_tokens": 1200, "output_tokens": 3400, "total_tokens": 4600},
        "cost_usd": "0.001234",
    } | extra  # fmt: skip


# --- the progress line ---------------------------------------------------------------------


def test_a_progress_line_shows_status_bar_counts_rate_cost_time_and_eta() -> None:
    line = progress_line(Counts.of(a_batch()), rate=41.25, elapsed=8.6)
    assert line == (
        "in_progress [######--------------]  312/1,000 lines (12 failed)  41.2/s  $0.001234"
        "  8s  eta 16s"
    )


def test_before_the_total_is_known_and_once_ended() -> None:
    validating = Counts.of(a_batch("validating", total=0, completed=0, failed=0))
    assert progress_line(validating, None, 0) == (
        "validating  [--------------------]  0/? lines  -/s  $0.001234  0s"
    )
    ended = progress_line(Counts.of(a_batch("cancelled")), rate=5.0, elapsed=75)
    assert ended.endswith("5.0/s  $0.001234  1m15s")  # no eta once it ended


def test_bar_and_duration() -> None:
    assert bar(0, 0) == "[" + "-" * 20 + "]"
    assert bar(1000, 1000, width=4) == "[####]" and bar(1, 3, width=3) == "[#--]"
    assert bar(5, 3, width=3) == "[###]"  # never past full
    assert [duration(s) for s in (0, 9.9, 65, 3600, 7380)] == [
        "0s",
        "9s",
        "1m05s",
        "1h00m",
        "2h03m",
    ]


def test_the_rate_is_taken_over_the_last_ten_seconds() -> None:
    rate = Rate(window=10)
    assert rate.add(0, 0) is None  # one sample: no rate yet
    assert rate.add(2, 100) == 50
    for at in range(3, 13):
        rate.add(at, 100)  # stalled
    assert rate.add(13, 100) == 0  # the burst at 2 s fell out of the window
    assert rate.add(14, 150) == 5  # 50 lines over the ten seconds since 4 s


def test_on_a_terminal_one_line_is_redrawn_in_place() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True, clock=itertools.count().__next__)
    progress.update(a_batch(completed=0, failed=0))
    progress.update(a_batch(completed=10, failed=0))
    progress.close()
    progress.close()  # a second close writes nothing
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.count("\x1b[K") == 2 and text.endswith("\x1b[K\n")
    assert "10/1,000 lines  10.0/s" in text


def test_elsewhere_plain_lines_on_each_status_and_every_ten_seconds() -> None:
    stream = io.StringIO()
    times = iter([0, 0, 1, 2, 12, 13, 14])
    progress = Progress(stream, tty=False, clock=lambda: next(times))
    for status in ("validating", "in_progress", "in_progress", "in_progress", "finalizing"):
        progress.update(a_batch(status))
    progress.close()
    statuses = [line.split()[0] for line in stream.getvalue().splitlines()]
    assert statuses == ["validating", "in_progress", "in_progress", "finalizing"]
    assert "\r" not in stream.getvalue()


# --- batches as text -------------------------------------------------------------------------


def test_show_prints_counts_cost_usage_files_and_the_times_that_happened() -> None:
    batch = a_batch(
        "failed", metadata={"job": "nightly"},
        errors={"object": "list", "data": [{"code": "not_started", "message": "Nope.", "line": 3}]},
    )  # fmt: skip
    text = format_fields(batch_fields(batch))
    assert text.splitlines()[:4] == [
        "id              batch_1",
        "status          failed",
        "endpoint        /v1/chat/completions",
        "requests        1,000 total, 300 completed, 12 failed",
    ]
    assert "usage           1,200 input + 3,400 output = 4,600 tokens" in text
    assert "output_file_id  -" in text and "in_progress_at  2023-11-14 22:13:22 UTC" in text
    assert "completed_at" not in text  # never happened
    assert "metadata        job=nightly" in text
    assert text.endswith("error           line 3: Nope. (not_started)")


def test_list_is_a_table_with_columns_as_wide_as_their_cells() -> None:
    table = batch_table([a_batch(), a_batch("completed", 2, 2, 0, id="batch_22")])
    header, first, second = table.splitlines()
    assert header.split() == [
        "ID", "STATUS", "ENDPOINT", "COMPLETED/FAILED/TOTAL", "COST_USD", "CREATED"
    ]  # fmt: skip
    assert first.split()[:5] == ["batch_1", "in_progress", "/v1/chat/completions", "300/12/1000",
                                 "0.001234"]  # fmt: skip
    assert second.startswith("batch_22  completed    /v1/chat/completions  2/0/2  ")
    assert first.endswith("2023-11-14 22:13:20 UTC")


def test_the_summary_names_the_outcome_the_cost_and_the_files() -> None:
    batch = a_batch("completed", 3, 2, 1, completed_at=1_700_000_075)
    downloads = [("output", Path("r.output.jsonl"), 2), ("errors", Path("r.errors.jsonl"), 1)]
    assert summary(batch, downloads).splitlines() == [
        "batch_1 completed in 1m15s: 2 of 3 lines completed, 1 failed",
        "cost $0.001234 for 1,200 input and 3,400 output tokens",
        "output  r.output.jsonl (2 lines)",
        "errors  r.errors.jsonl (1 line)",
    ]


# --- arguments -----------------------------------------------------------------------------


def test_submit_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCHBOARD_BASE_URL", raising=False)
    monkeypatch.delenv("SWITCHBOARD_API_KEY", raising=False)
    args = _parser().parse_args(["batch", "submit", "in.jsonl"])
    assert (args.file, args.endpoint, args.metadata) == (
        Path("in.jsonl"),
        "/v1/chat/completions",
        None,
    )
    assert (args.wait, args.via_upload, args.out_dir, args.poll_seconds) == (
        False,
        False,
        None,
        1.0,
    )
    assert (args.base_url, args.api_key) == (DEFAULT_BASE_URL, None)


def test_the_environment_gives_the_url_and_key_and_options_override_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SWITCHBOARD_BASE_URL", "https://api.example.com/v1")
    monkeypatch.setenv("SWITCHBOARD_API_KEY", "sb_from_env")
    args = _parser().parse_args(["batch", "list"])
    assert (args.base_url, args.api_key, args.limit, args.after) == (
        "https://api.example.com/v1", "sb_from_env", 20, None,
    )  # fmt: skip
    args = _parser().parse_args(["batch", "cancel", "batch_1", "--api-key", "sb_given"])
    assert (args.batch_id, args.api_key) == ("batch_1", "sb_given")


def test_metadata_is_repeatable_key_value_pairs() -> None:
    argv = ["batch", "submit", "f.jsonl", "--metadata", "job=nightly", "--metadata", "note=a=b",
            "--metadata", "empty=", "--wait", "--out-dir", "out", "--via-upload"]  # fmt: skip
    args = _parser().parse_args(argv)
    assert args.metadata == [("job", "nightly"), ("note", "a=b"), ("empty", "")]
    assert (args.wait, args.out_dir, args.via_upload) == (True, Path("out"), True)


@pytest.mark.parametrize(
    "argv",
    [
        ["batch", "submit", "f.jsonl", "--metadata", "novalue"],
        ["batch", "submit", "f.jsonl", "--metadata", "=v"],
        ["batch", "submit", "f.jsonl", "--poll-seconds", "0"],
        ["batch", "list", "--limit", "-1"],
        ["batch", "list", "--limit", "many"],
        ["batch", "show"],
        ["batch", "frobnicate"],
    ],
)
def test_bad_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(argv)
    assert exited.value.code == 2
    assert "usage: switchboard batch" in capsys.readouterr().err
