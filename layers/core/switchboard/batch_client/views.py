"""Batch objects as text: `show`'s fields, `list`'s table, and the summary printed when a
followed batch ends. Times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from switchboard.batch_client.progress import Counts, duration

TIMES = (
    "created_at", "in_progress_at", "finalizing_at", "completed_at", "failed_at",
    "cancelling_at", "cancelled_at", "expired_at", "expires_at",
)  # fmt: skip
TABLE = ("ID", "STATUS", "ENDPOINT", "COMPLETED/FAILED/TOTAL", "COST_USD", "CREATED")


def when(epoch_seconds: int | None) -> str:
    if epoch_seconds is None:
        return "-"
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def batch_fields(batch: dict[str, Any]) -> list[tuple[str, str]]:
    """`show`: one (name, value) per line, in a fixed order; times only once they happened."""
    counts = Counts.of(batch)
    usage = batch.get("usage") or {}
    fields = [
        ("id", str(batch.get("id"))),
        ("status", counts.status),
        ("endpoint", str(batch.get("endpoint"))),
        ("requests", f"{counts.total:,} total, {counts.completed:,} completed, "
                     f"{counts.failed:,} failed"),
        ("cost_usd", counts.cost_usd),
        ("usage", f"{usage.get('input_tokens', 0):,} input + {usage.get('output_tokens', 0):,} "
                  f"output = {usage.get('total_tokens', 0):,} tokens"),
    ]  # fmt: skip
    for name in ("input_file_id", "output_file_id", "error_file_id"):
        fields.append((name, batch.get(name) or "-"))
    fields += [(name, when(batch[name])) for name in TIMES if batch.get(name) is not None]
    if batch.get("metadata"):
        fields.append(("metadata", ", ".join(f"{k}={v}" for k, v in batch["metadata"].items())))
    fields += [("error", line) for line in batch_errors(batch)]
    return fields


def batch_errors(batch: dict[str, Any]) -> list[str]:
    """Why a batch failed as a whole (not its lines' errors: those are in its error file)."""
    errors = (batch.get("errors") or {}).get("data") or []
    lines = []
    for error in errors:
        where = f"line {error['line']}: " if error.get("line") is not None else ""
        code = f" ({error['code']})" if error.get("code") else ""
        lines.append(f"{where}{error.get('message', '')}{code}")
    return lines


def format_fields(fields: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in fields) + 2
    return "\n".join(f"{name:{width}}{value}" for name, value in fields)


def batch_table(batches: list[dict[str, Any]]) -> str:
    """`list`: a header and one row per batch, columns as wide as their widest cell."""
    rows = [TABLE]
    for batch in batches:
        counts = Counts.of(batch)
        rows.append((
            str(batch.get("id")), counts.status, str(batch.get("endpoint")),
            f"{counts.completed}/{counts.failed}/{counts.total}", counts.cost_usd,
            when(batch.get("created_at")),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def summary(batch: dict[str, Any], downloads: list[tuple[str, Path, int]]) -> str:
    """What a followed batch came to: its outcome, cost and tokens, and the files written
    (`downloads` holds (what, path, line count))."""
    counts = Counts.of(batch)
    usage = batch.get("usage") or {}
    ended, created = batch.get(f"{counts.status}_at"), batch.get("created_at")
    took = f" in {duration(ended - created)}" if ended and created else ""
    lines = [
        f"{batch.get('id')} {counts.status}{took}: {counts.completed:,} of {counts.total:,} "
        f"lines completed, {counts.failed:,} failed",
        f"cost ${counts.cost_usd} for {usage.get('input_tokens', 0):,} input and "
        f"{usage.get('output_tokens', 0):,} output tokens",
    ]
    lines += [f"error: {line}" for line in batch_errors(batch)]
    for what, path, count in downloads:
        lines.append(f"{what:7} {path} ({count:,} line{'' if count == 1 else 's'})")
    return "\n".join(lines)
