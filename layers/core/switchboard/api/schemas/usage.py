"""GET /v1/usage/entries' entries as the API shows them (money as six-decimal USD strings)."""

from __future__ import annotations

from typing import Any

from switchboard.domain.money import format_usd
from switchboard.domain.usage import EntryPage, UsageEntry


def entry_view(entry: UsageEntry) -> dict[str, Any]:
    return {
        "object": "usage.entry",
        "id": entry.entry_id,
        "type": entry.kind,
        "created_at": entry.created_at.isoformat(),
        "request_id": entry.request_id or None,
        "model": entry.model,
        "app_id": entry.app_id,
        "prompt_tokens": entry.prompt_tokens,
        "completion_tokens": entry.completion_tokens,
        "total_tokens": entry.prompt_tokens + entry.completion_tokens,
        "cost": format_usd(entry.cost_micro_usd),
        "amount": format_usd(entry.amount_micro_usd),
        "description": entry.reason,
    }


def entry_page_view(page: EntryPage) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [entry_view(entry) for entry in page.entries],
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    }
