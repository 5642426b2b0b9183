"""Small helpers shared by the benchmark scripts (statistics, tables, /proc readings)."""

from __future__ import annotations

import os
import socket
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat; with `reaped`,
    also the times of the children it has waited for (cutime + cstime)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    children = int(fields[13]) + int(fields[14]) if reaped else 0  # fields 16 and 17
    return (own + children) / CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    """cpu_seconds of a process and of all its descendants (the platform and the emulator
    process it started), those that have ended and been waited for included (a child that
    ended during a measurement would otherwise take its CPU out of the total); a process
    that has gone counts as nothing."""
    try:
        total = cpu_seconds(pid, reaped=True)
        children = [
            int(child)
            for task in os.listdir(f"/proc/{pid}/task")
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text("ascii").split()
        ]
    except FileNotFoundError:
        return 0.0
    return total + sum(tree_cpu_seconds(child) for child in children)


def status_kib(pid: int, key: str) -> int:
    """A `VmHWM`/`VmRSS` line of /proc/<pid>/status, in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"
