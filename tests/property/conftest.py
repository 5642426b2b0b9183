"""Callers and targets for the property sweep, made through the admin API with the platform's
development key (so they do not depend on how the core stores users).

The sweep's callers have limits no sweep reaches: with a plan's 30 requests a minute, a
larger budget would only measure the rate limiter. They are shared by a module's tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from switchboard.local.platform import Platform
from tests.property.sweep import printable, send

SWEEP_PROMPT = "sweep"  # the prompt the callers' user has, for POST /prompts/{slug}/versions

UNLIMITED = {"requests_per_minute": 1_000_000, "tokens_per_minute": 10**12}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A report xdist can send: the app logs the lone surrogates the sweep sends it, and a
    report holding one would crash the worker (execnet writes strings as strict UTF-8)."""
    report = yield
    report.sections = [(title, printable(content)) for title, content in report.sections]
    if report.longrepr is not None and printable(str(report.longrepr)) != str(report.longrepr):
        report.longrepr = printable(str(report.longrepr))
    return report


@dataclass(frozen=True)
class Callers:
    """Bearer keys for the sweep: a user's and an admin's, and the ids their routes name."""

    user_key: str
    admin_key: str
    app_id: str
    other_user_id: str


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    """An event loop in a thread, for the app: hypothesis drives plain (sync) tests best."""
    with start_blocking_portal() as running:
        yield running


@pytest.fixture(scope="module")
def callers(platform: Platform, portal: BlockingPortal) -> Callers:
    def post(key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        answer = portal.call(send, platform.app, "POST", path, json.dumps(body).encode(), headers)
        assert answer.status == 201, answer.describe()
        return dict(json.loads(answer.text))

    def new_user(role: str) -> str:
        email = f"sweep-{uuid.uuid4().hex}@example.com"
        user = {"email": email, "first_name": "Sweep", "last_name": role, "role": role}
        user |= {"credits_usd": "1000", "rate_limits": UNLIMITED}
        return str(post(platform.dev_key, "/admin/users", user)["id"])

    def new_key(user_id: str) -> str:
        body = {"name": "sweep", "scopes": ["*"]}
        return str(post(platform.dev_key, f"/admin/users/{user_id}/apikeys", body)["key"])

    user_key, admin_key = new_key(new_user("user")), new_key(new_user("admin"))
    app_id = str(post(user_key, "/apps", {"name": "sweep"})["id"])
    post(user_key, "/prompts", {"slug": SWEEP_PROMPT})
    return Callers(user_key, admin_key, app_id, other_user_id=new_user("user"))
