"""The monitor's reads (docs/traces.md): GET /monitor/traces (newest first, filtered,
paged), GET /monitor/traces/{trace_id} (its spans as a tree) and GET /monitor/stats (from
the counters, never from the traces).

A user sees the traces they paid for: their own calls and their apps' (404 for any other).
An admin sees everyone's: the list without `user_id` is everyone's, `user_id` narrows it to
that payer's; stats are one payer's (`user_id`, else the admin's own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.pages import page_after, page_limit
from switchboard.api.responses import json_response
from switchboard.bootstrap import container
from switchboard.domain.principals import Principal
from switchboard.domain.trace_queries import TraceFilter
from switchboard.domain.trace_stats import GROUP_BYS
from switchboard.errors import InvalidRequestError

MAX_PAGE = 100
DEFAULT_PAGE = 20
DEFAULT_STATS_DAYS = 7
MAX_STATS_DAYS = 400
# everyone's traces are read a day at a time: one query per day of the range
EVERYONE_SPAN = timedelta(days=31)
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
TEXT_FILTERS = ("model", "app_id", "key_id", "prompt_slug", "experiment_id")


async def list_traces(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=DEFAULT_PAGE, maximum=MAX_PAGE)
    selection = _selection(request, principal)
    page = await anyio.to_thread.run_sync(
        container().tracing.list_traces, selection, limit, page_after(request)
    )
    data = [trace.to_dict() for trace in page.traces]
    return json_response({"object": "list", "data": data, "has_more": page.has_more,
                          "next_cursor": page.next_cursor})  # fmt: skip


async def get_trace(request: Request) -> Response:
    principal = await require_principal(request)
    trace_id = request.path_params["trace_id"]
    trace = await anyio.to_thread.run_sync(container().tracing.get, principal, trace_id)
    return json_response(trace.to_dict(detail=True))


async def get_stats(request: Request) -> Response:
    principal = await require_principal(request)
    params = request.query_params
    end = _instant(params.get("to"), "to") or datetime.now(UTC)
    start = _instant(params.get("from"), "from") or end - timedelta(days=DEFAULT_STATS_DAYS)
    if start > end or end - start > timedelta(days=MAX_STATS_DAYS):
        raise InvalidRequestError(f"from must be before to, at most {MAX_STATS_DAYS} days "
                                  "apart.", param="from", code="invalid_value")  # fmt: skip
    group_by = params.get("groupBy", "day")
    if group_by not in GROUP_BYS:
        raise InvalidRequestError(f"groupBy must be one of {', '.join(GROUP_BYS)}.",
                                  param="groupBy", code="invalid_value")  # fmt: skip
    payer = _payer(params.get("user_id"), principal) or principal.user_id
    body = await anyio.to_thread.run_sync(container().tracing.stats, payer, start, end, group_by)
    return json_response(body)


def _selection(request: Request, principal: Principal) -> TraceFilter:
    params = request.query_params
    status = params.get("status")
    if status not in (None, "success", "error"):
        raise InvalidRequestError("status must be 'success' or 'error'.", param="status",
                                  code="invalid_value")  # fmt: skip
    version = params.get("prompt_version")
    if version is not None and not version.isdigit():
        raise InvalidRequestError("prompt_version must be a whole number.",
                                  param="prompt_version", code="invalid_value")  # fmt: skip
    start, end = _instant(params.get("from"), "from"), _instant(params.get("to"), "to")
    if start and end and start > end:
        raise InvalidRequestError("from must be before to.", param="from", code="invalid_value")
    payer = _payer(params.get("user_id"), principal)
    viewer = payer or (None if principal.is_admin else principal.user_id)  # None: everyone's
    if viewer is None and start and (end or datetime.now(UTC)) - start > EVERYONE_SPAN:
        raise InvalidRequestError(f"Everyone's traces are listed {EVERYONE_SPAN.days} days at "
                                  "a time: narrow from and to, or name a user_id.",
                                  param="from", code="invalid_value")  # fmt: skip
    texts = {name: params.get(name) or None for name in TEXT_FILTERS}
    return TraceFilter(viewer, start=start, end=end, status=status,
                       prompt_version=int(version) if version else None, **texts)  # fmt: skip


def _payer(user_id: str | None, principal: Principal) -> str | None:
    """Whose traces or stats: `user_id` is an admin's choice; others may name only
    themselves."""
    if not user_id or user_id == principal.user_id:
        return user_id or None
    principal.require_admin()
    return user_id


def _instant(raw: str | None, param: str) -> datetime | None:
    """An ISO 8601 instant (a date alone is its midnight UTC; no offset: UTC), from 1970 to
    9000: days are keys written with four-digit years, and a day is added or taken away."""
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = EARLIEST - timedelta(days=1)
    if not EARLIEST <= moment <= LATEST:
        raise InvalidRequestError(f"{param} must be an ISO 8601 time such as "
                                  "2026-11-30T12:00:00Z, from 1970 to 9000.", param=param,
                                  code="invalid_value")  # fmt: skip
    return moment


routes = [
    Route("/monitor/traces", list_traces, methods=["GET"]),
    Route("/monitor/traces/{trace_id}", get_trace, methods=["GET"]),
    Route("/monitor/stats", get_stats, methods=["GET"]),
]
