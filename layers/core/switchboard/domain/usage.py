"""A user's own usage: the ledger entries they were charged, and totals from the counters
that each settlement adds to (per UTC day, app and model), grouped as asked.

Model ids here are whatever was stored: a model the catalog no longer lists (or does not
list yet, on a container with an older catalog) is reported by its id, never looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from switchboard.domain.money import format_usd
from switchboard.errors import InvalidRequestError

GROUPS = ("day", "model", "app")
MAX_ENTRIES_PAGE = 100
DEFAULT_ENTRIES_PAGE = 20


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """One ledger entry as its owner sees it: a charge (settle) carries its request, model,
    app, tokens and cost; top-ups, adjustments, holds and releases carry their amount."""

    entry_id: str
    kind: str  # top_up, reserve, settle, release, adjustment
    amount_micro_usd: int  # signed: what the entry did to the balance
    cost_micro_usd: int  # billed (settle entries); 0 for the others
    created_at: datetime
    request_id: str = ""
    model: str | None = None
    app_id: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class EntryPage:
    entries: list[UsageEntry]
    has_more: bool
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class UserUsageRow:
    """One counter: a payer's usage of one model, through one app (or none), on one day."""

    day: date
    app_id: str | None
    model: str
    tokens: int
    prompt_tokens: int
    completion_tokens: int
    cost_micro_usd: int
    requests: int


def parse_group(raw: str | None) -> str:
    group = raw or "day"
    if group not in GROUPS:
        raise InvalidRequestError(
            f"groupBy must be one of {', '.join(GROUPS)}, not '{group}'.",
            param="groupBy",
            code="invalid_value",
        )
    return group


def group_rows(rows: list[UserUsageRow], group: str) -> list[dict[str, Any]]:
    """Totals per day (oldest first), model or app (by name; calls without an app under
    null, last)."""
    totals: dict[Any, list[int]] = {}
    for row in rows:
        label = {"day": row.day, "model": row.model, "app": row.app_id}[group]
        sums = totals.setdefault(label, [0, 0, 0, 0, 0])
        for index, value in enumerate(_figures(row)):
            sums[index] += value
    ordered = sorted(totals.items(), key=lambda item: (item[0] is None, str(item[0])))
    key = {"day": "date", "model": "model", "app": "app_id"}[group]
    return [
        {key: label.isoformat() if isinstance(label, date) else label, **_view(sums)}
        for label, sums in ordered
    ]


def total(rows: list[UserUsageRow]) -> dict[str, Any]:
    sums = [0, 0, 0, 0, 0]
    for row in rows:
        for index, value in enumerate(_figures(row)):
            sums[index] += value
    return _view(sums)


def _figures(row: UserUsageRow) -> tuple[int, int, int, int, int]:
    return (row.tokens, row.prompt_tokens, row.completion_tokens, row.cost_micro_usd,
            row.requests)  # fmt: skip


def _view(sums: list[int]) -> dict[str, Any]:
    tokens, prompt, completion, cost, requests = sums
    return {"tokens": tokens, "prompt_tokens": prompt, "completion_tokens": completion,
            "cost": format_usd(cost), "requests": requests}  # fmt: skip
