"""The issue's targets, before and after, as metering_overhead.py measured them in one run."""

from __future__ import annotations

from collections.abc import Callable

from _common import table, verdict

Summary = dict[str, dict[str, float]]  # "before"/"after" -> figure -> value

# (figure, unit, target text, test of the last revision's value or None)
TARGETS: list[tuple[str, str, str, Callable[[float], bool] | None]] = [
    ("calls per metered chat", "", "2.0", lambda v: round(v, 2) <= 2.0),
    ("calls per GET /v1/models", "", "1.0", lambda v: round(v, 2) <= 1.0),
    ("gateway CPU c=1 plain", "ms", "<= 3 ms", lambda v: v <= 3.0),
    ("added p50 c=1", "ms", "<= 6 ms", lambda v: v <= 6.0),
    ("rps c=32", "rps", ">= 193 rps", lambda v: v >= 193.0),
    ("CPU c=1", "ms", "", None),
    ("CPU c=32", "ms", "", None),
    ("added TTFT c=8", "ms", "", None),
    ("in a row p50 first", "ms", "", None),
    ("in a row p50 last", "ms", "", None),
    ("in a row p99 first", "ms", "", None),
    ("in a row p99 last", "ms", "", None),
    ("cold start venv", "ms", "<= 250 ms", lambda v: v <= 250.0),
    ("cold start layer", "ms", "<= 250 ms", lambda v: v <= 250.0),
]
WHERE = {
    "calls per metered chat": "1",
    "calls per GET /v1/models": "1",
    "gateway CPU c=1 plain": "1",
    "cold start venv": "4",
    "cold start layer": "4",
}


def print_targets(summary: Summary, names: list[str]) -> None:
    print(
        "\nTargets, before -> after (part: 1 gateways on emulators of their own, 2-3 the "
        "platform as `make serve` runs it, CPU of all its processes; 4 cold start):"
    )
    rows = []
    for figure, unit, target, test in TARGETS:
        values = [summary.get(name, {}).get(figure, float("nan")) for name in names]
        if all(v != v for v in values):
            continue
        last = values[-1]
        met = verdict(test(last)) if test is not None and last == last else ""
        rows.append([WHERE.get(figure, "2-3"), figure, unit, *values, target, met])
    print(table(["part", "figure", "unit", *names, "target", "verdict (last)"], rows))
