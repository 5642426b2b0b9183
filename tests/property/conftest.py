"""Callers and targets for the property sweep.

The sweep's callers have limits no sweep reaches: with a plan's 30 requests a minute, a
larger budget would only measure the rate limiter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from switchboard.domain.accounts import NewUser, Role, User, usd_to_micro
from switchboard.domain.limits import RateLimits
from switchboard.local.platform import Platform
from switchboard.services.accounts import AccountService
from tests.property.sweep import printable, send

UNLIMITED = RateLimits(requests_per_minute=1_000_000, tokens_per_minute=10**12)


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


def sweep_user(accounts: AccountService, role: Role = Role.USER) -> User:
    email = f"sweep-{uuid.uuid4().hex}@example.com"
    new = NewUser(email, "Sweep", "Caller", role, "maker", usd_to_micro(1000), limits=UNLIMITED)
    return accounts.create_user(new)


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    """An event loop in a thread, for the app: hypothesis drives plain (sync) tests best."""
    with start_blocking_portal() as running:
        yield running


@pytest.fixture
def callers(platform: Platform, accounts: AccountService, portal: BlockingPortal) -> Callers:
    user_key = accounts.issue_key(sweep_user(accounts), "sweep").secret
    admin_key = accounts.issue_key(sweep_user(accounts, Role.ADMIN), "sweep admin").secret
    headers = {"Authorization": f"Bearer {user_key}", "Content-Type": "application/json"}
    created = portal.call(send, platform.app, "POST", "/apps", b'{"name": "sweep"}', headers)
    assert created.status == 201, created.describe()
    app_id = json.loads(created.text)["id"]
    return Callers(user_key, admin_key, app_id, sweep_user(accounts).user_id)
