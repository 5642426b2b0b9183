"""A user's own usage (any principal; the payer's view):

GET /v1/usage/entries?limit=&after=     the ledger, newest first; `after` is next_cursor
GET /v1/usage?startDate&endDate&groupBy=day|model|app   totals over UTC days
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.pages import page_after, page_limit
from switchboard.api.responses import json_response
from switchboard.api.schemas.usage import entry_page_view
from switchboard.bootstrap import container
from switchboard.domain.usage import DEFAULT_ENTRIES_PAGE, MAX_ENTRIES_PAGE


async def list_entries(request: Request) -> Response:
    principal = await require_principal(request)
    limit = page_limit(request, default=DEFAULT_ENTRIES_PAGE, maximum=MAX_ENTRIES_PAGE)
    page = await anyio.to_thread.run_sync(
        lambda: container().usage.entries(principal, after=page_after(request), limit=limit)
    )
    return json_response(entry_page_view(page))


async def get_totals(request: Request) -> Response:
    principal = await require_principal(request)
    query = request.query_params
    body = await anyio.to_thread.run_sync(
        container().usage.totals,
        principal, query.get("startDate"), query.get("endDate"), query.get("groupBy"),
    )  # fmt: skip
    return json_response(body)


routes = [
    Route("/v1/usage/entries", list_entries, methods=["GET"]),
    Route("/v1/usage", get_totals, methods=["GET"]),
]
