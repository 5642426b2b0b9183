"""Cursor pages, as OpenAI's list routes take them: `?after=<id>&limit=<n>` (and for files
`order=asc|desc`); a bad value is a 400 naming the parameter."""

from __future__ import annotations

from starlette.requests import Request

from switchboard.errors import InvalidRequestError


def page_limit(request: Request, *, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidRequestError(
            f"limit must be a whole number from 1 to {maximum}.",
            param="limit",
            code="invalid_value",
        )
    return int(raw)


def page_after(request: Request) -> str | None:
    return request.query_params.get("after") or None


def page_descending(request: Request) -> bool:
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequestError(
            "order must be 'asc' or 'desc'.", param="order", code="invalid_value"
        )
    return order == "desc"
