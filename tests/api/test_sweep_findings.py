"""What the schemathesis pass over our OpenAPI document (tests/system/test_openapi_sweep.py)
found, one test each, so that each stays fixed without the sweep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard.domain.accounts import Role, User

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2020-01-01T00:00:00Z"},  # to: now; one query per day since 2020
        {"from": "2026-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
    ],
)
async def test_everyones_traces_are_listed_a_month_at_a_time(
    new_user: Callable[..., User], connect: Any, params: dict[str, str]
) -> None:
    """An admin listing everyone's traces from years back made the server query every day
    since, a request that never ended; the range is refused instead."""
    async with connect(new_user(role=Role.ADMIN)) as http:
        response = await http.get("/monitor/traces", params=params, timeout=10)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == "from"
        mine = await http.get("/monitor/traces", params={**params, "user_id": "usr_x"})
        assert mine.status_code == 200  # one user's traces are one query, at any range


@pytest.mark.parametrize("after", ["\x89", "é", "\U0009cac4"])
async def test_a_cursor_that_is_not_ours_is_a_400(
    new_user: Callable[..., User], connect: Any, after: str
) -> None:
    async with connect(new_user()) as http:
        response = await http.get("/monitor/traces", params={"after": after})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == "after"


@pytest.mark.parametrize(
    "params",
    [
        {"to": "0292-10-01T16:07:17.257+11:32"},
        {"from": "0001-01-01T00:00:00+05:00"},
        {"to": "9999-12-31T23:59:59-05:00"},
    ],
)
async def test_times_at_the_ends_of_the_calendar_are_answered(
    new_user: Callable[..., User], connect: Any, params: dict[str, str]
) -> None:
    """Years with fewer than four digits, and instants whose UTC day lies past year 1 or
    9999, were 500s."""
    for user in (new_user(), new_user(role=Role.ADMIN)):
        async with connect(user) as http:
            for path in ("/monitor/traces", "/monitor/stats"):
                response = await http.get(path, params=params)
                assert response.status_code in (200, 400), response.text
