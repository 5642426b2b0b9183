"""Every item of a paged list: pages are asked for with `after` = the last `next_cursor`
until `has_more` is false (a list the platform answers whole is one page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from switchboard_client._models import Page

T = TypeVar("T")
MAX_PAGES = 1000  # a guard against a cursor that never ends


def collect_sync(fetch: Callable[[str | None], Page[T]]) -> list[T]:
    items: list[T] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        page = fetch(after)
        items.extend(page.data)
        if not (page.has_more and page.next_cursor):
            break
        after = page.next_cursor
    return items


async def collect_async(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    items: list[T] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        page = await fetch(after)
        items.extend(page.data)
        if not (page.has_more and page.next_cursor):
            break
        after = page.next_cursor
    return items
