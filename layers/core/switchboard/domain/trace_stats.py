"""Counters for /monitor/stats: added at every settlement, summed at read, never computed by
scanning traces (docs/traces.md "Counters").

Latency is a log-spaced histogram: bucket i counts latencies in [b(i), b(i+1)) with
b(i) = 2^(i/4) ms (four buckets per doubling); bucket 0 also takes everything under
b(1), the last everything from b(LAST) up (about 11 minutes). A percentile is the upper
bound of the bucket that holds it (rounded up to a whole ms): exact to the bucket, never
below the true value by more than a bucket's width (19%).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchboard.domain.money import format_usd

BUCKETS_PER_DOUBLING = 4
BUCKETS = 80  # b(79) = 2^(79/4) ms, about 13.7 min
GROUP_BYS = ("day", "model", "app", "prompt", "experiment")
NONE = "-"  # a dimension that does not apply (no app, no prompt ...)


def bucket_of(latency_ms: float) -> int:
    if latency_ms < 2 ** (1 / BUCKETS_PER_DOUBLING):
        return 0
    index = math.floor(math.log2(latency_ms) * BUCKETS_PER_DOUBLING + 1e-9)
    return min(index, BUCKETS - 1)


def bucket_upper_ms(index: int) -> int:
    """The upper bound of bucket `index`, in whole ms (rounded up)."""
    return math.ceil(2 ** ((index + 1) / BUCKETS_PER_DOUBLING) - 1e-9)


def bucket_name(index: int) -> str:
    return f"h{index:02d}"


def percentile(histogram: dict[int, int], q: float) -> int | None:
    """The q-quantile (0 < q <= 1) of the latencies counted in `histogram` ({bucket:
    count}), as its bucket's upper bound; None when it counts nothing."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))  # the rank-th smallest latency
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return bucket_upper_ms(index)
    return bucket_upper_ms(max(histogram))  # pragma: no cover (rank <= total)


@dataclass(frozen=True, slots=True)
class Dimensions:
    """What one counter item counts: a payer's day for one model, app, prompt version and
    experiment (NONE where one does not apply)."""

    day: str
    model: str = NONE
    app_id: str = NONE
    prompt: str = NONE  # "<slug>@<version>"
    experiment_id: str = NONE

    @classmethod
    def of(
        cls,
        moment: datetime,
        model: str | None,
        app_id: str | None,
        prompt: tuple[str, int] | None,
        experiment_id: str | None,
    ) -> Dimensions:
        slug = f"{prompt[0]}@{prompt[1]}" if prompt else NONE
        return cls(moment.strftime("%Y-%m-%d"), model or NONE, app_id or NONE, slug,
                   experiment_id or NONE)  # fmt: skip

    @property
    def sort_key(self) -> str:
        return "#".join((self.day, self.model, self.app_id, self.prompt, self.experiment_id))

    def group(self, by: str) -> str:
        return {"day": self.day, "model": self.model, "app": self.app_id,
                "prompt": self.prompt, "experiment": self.experiment_id}[by]  # fmt: skip


@dataclass(slots=True)
class Counters:
    """What counter items hold, and what adding them up gives."""

    count: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micro_usd: int = 0
    lost_bodies: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, other: Counters) -> Counters:
        self.count += other.count
        self.errors += other.errors
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_micro_usd += other.cost_micro_usd
        self.lost_bodies += other.lost_bodies
        for index, n in other.histogram.items():
            self.histogram[index] = self.histogram.get(index, 0) + n
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "errors": self.errors,
            "error_rate": round(self.errors / self.count, 6) if self.count else 0.0,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                      "total_tokens": self.input_tokens + self.output_tokens},
            "cost_usd": format_usd(self.cost_micro_usd),
            "latency_ms": {"p50": percentile(self.histogram, 0.50),
                           "p95": percentile(self.histogram, 0.95),
                           "p99": percentile(self.histogram, 0.99)},
            "lost_bodies": self.lost_bodies,
        }  # fmt: skip


def request_counters(
    latency_ms: int | None, usage: tuple[int, int], cost_micro_usd: int, *, error: bool
) -> Counters:
    """What one span adds: a request's own span (latency given) counts the request, its
    error and its latency; every span adds its tokens and cost."""
    counted = latency_ms is not None
    return Counters(
        count=int(counted), errors=int(counted and error), input_tokens=usage[0],
        output_tokens=usage[1], cost_micro_usd=cost_micro_usd,
        histogram={bucket_of(latency_ms): 1} if latency_ms is not None else {},
    )  # fmt: skip


def grouped(rows: Iterable[tuple[Dimensions, Counters]], by: str) -> list[dict[str, Any]]:
    """Counter items summed per group (sorted by group), as /monitor/stats answers them."""
    sums: dict[str, Counters] = {}
    for dims, counters in rows:
        sums.setdefault(dims.group(by), Counters()).add(counters)
    return [{"group": key if key != NONE else None} | sums[key].to_dict() for key in sorted(sums)]


def total(rows: Iterable[tuple[Dimensions, Counters]]) -> dict[str, Any]:
    result = Counters()
    for _, counters in rows:
        result.add(counters)
    return result.to_dict()
