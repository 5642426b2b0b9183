"""A batch's progress as one line: status, a bar, lines done of total, lines per second, cost
so far, time followed and, while lines are moving, the time left at that rate.

    in_progress [######--------------]  312/1,000 lines (2 failed)  41.3/s  $0.000931  8s  eta 17s

On a terminal the line is redrawn in place (\\r); elsewhere (a pipe, a CI log) a plain line
is written when the status changes and every `every` seconds.
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

ENDED = frozenset({"completed", "failed", "cancelled", "expired"})
BAR_WIDTH = 20
CLEAR_TO_END = "\x1b[K"


@dataclass(frozen=True, slots=True)
class Counts:
    """What a progress line shows of a batch object."""

    status: str
    total: int
    completed: int
    failed: int
    cost_usd: str

    @classmethod
    def of(cls, batch: dict[str, Any]) -> Counts:
        counts = batch.get("request_counts") or {}
        return cls(
            status=str(batch.get("status", "?")),
            total=int(counts.get("total") or 0),
            completed=int(counts.get("completed") or 0),
            failed=int(counts.get("failed") or 0),
            cost_usd=str(batch.get("cost_usd") or "0.000000"),
        )

    @property
    def done(self) -> int:
        return self.completed + self.failed


class Rate:
    """Lines per second over about the last `window` seconds of observations."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, at: float, done: int) -> float | None:
        """Record `done` lines at time `at`; the rate since the oldest sample kept (None
        until two samples are apart in time)."""
        self.samples.append((at, done))
        while len(self.samples) > 2 and at - self.samples[1][0] >= self.window:
            self.samples.popleft()
        first_at, first_done = self.samples[0]
        if at <= first_at:
            return None
        return max(done - first_done, 0) / (at - first_at)


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = min(width, done * width // total) if total > 0 else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def duration(seconds: float) -> str:
    """5s, 1m05s, 2h03m."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_line(counts: Counts, rate: float | None, elapsed: float) -> str:
    total = f"{counts.total:,}" if counts.total else "?"
    parts = [
        f"{counts.status:<11} {bar(counts.done, counts.total)}",
        f"{counts.done:,}/{total} lines"
        + (f" ({counts.failed:,} failed)" if counts.failed else ""),
        "-/s" if rate is None else f"{rate:.1f}/s",
        f"${counts.cost_usd}",
        duration(elapsed),
    ]
    left = counts.total - counts.done
    if rate and left > 0 and counts.status not in ENDED:
        parts.append(f"eta {duration(left / rate)}")
    return "  ".join(parts)


class Progress:
    """Writes a followed batch's progress line to `stream` (stderr)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool | None = None,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.every = every
        self.clock = clock
        self.started = clock()
        self.rate = Rate()
        self.drawn = False  # a redrawn line is on the terminal, without its newline
        self.last: tuple[str, float] | None = None  # status and time of the last plain line

    def update(self, batch: dict[str, Any]) -> None:
        now = self.clock()
        counts = Counts.of(batch)
        line = progress_line(counts, self.rate.add(now, counts.done), now - self.started)
        if self.tty:
            width = shutil.get_terminal_size().columns - 1
            self.stream.write(f"\r{line[:width]}{CLEAR_TO_END}")
            self.drawn = True
        elif self._due(counts.status, now):
            self.stream.write(line + "\n")
            self.last = (counts.status, now)
        self.stream.flush()

    def close(self) -> None:
        """End the redrawn line, so what follows starts on a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def _due(self, status: str, now: float) -> bool:
        return self.last is None or self.last[0] != status or now - self.last[1] >= self.every
