"""Batch input from a file, lines or request bodies; results read or written whole."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from switchboard_client import _calls as calls
from switchboard_client._config import read_rows
from switchboard_client._errors import SwitchboardError
from switchboard_client._models import Json


def batch_input(
    path: str | Path | None, rows: list[Json] | None, requests: list[Json] | None, endpoint: str
) -> tuple[str, bytes]:
    """The file's name and bytes, from exactly one of the three."""
    given = [source for source in (path, rows, requests) if source is not None]
    if len(given) != 1:
        raise SwitchboardError("Give exactly one of path, rows or requests.")
    if path is not None:
        return read_rows(path)
    lines = rows if rows is not None else calls.chat_rows(requests or [], endpoint)
    return "batch.jsonl", calls.jsonl(lines)


def parse_lines(content: bytes) -> list[Json]:
    return [json.loads(line) for line in content.splitlines() if line.strip()]


def write_sync(chunks: Iterator[bytes], target: Path) -> None:
    """All of it or nothing: written beside `target`, then renamed."""
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


async def write_async(chunks: AsyncIterator[bytes], target: Path) -> None:
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("wb") as out:
            async for chunk in chunks:
                out.write(chunk)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
