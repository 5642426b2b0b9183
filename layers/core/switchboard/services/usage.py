"""A user's own usage: GET /v1/usage/entries (their ledger, newest first, a page at a time)
and GET /v1/usage (totals over UTC days, grouped by day, model or app, from the counters
each settlement adds to). The payer's view: their own calls and calls to their apps, which
they pay for. Blocking (boto3): routes run these in a worker thread."""

from __future__ import annotations

from typing import Any

from switchboard.domain.apps import check_range, parse_day
from switchboard.domain.principals import Principal
from switchboard.domain.usage import EntryPage, group_rows, parse_group, total
from switchboard.ports import UsageRepository


class UsageService:
    def __init__(self, usage: UsageRepository) -> None:
        self._usage = usage

    def entries(self, principal: Principal, *, after: str | None, limit: int) -> EntryPage:
        return self._usage.entries(principal.user_id, after=after, limit=limit)

    def totals(
        self,
        principal: Principal,
        start_raw: str | None,
        end_raw: str | None,
        group_raw: str | None,
    ) -> dict[str, Any]:
        start, end = parse_day(start_raw, "startDate"), parse_day(end_raw, "endDate")
        check_range(start, end)
        group = parse_group(group_raw)
        rows = self._usage.totals(principal.user_id, start, end)
        return {
            "object": "usage",
            "user_id": principal.user_id,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "groupBy": group,
            **{f"total_{name}": value for name, value in total(rows).items()},
            "data": group_rows(rows, group),
        }
