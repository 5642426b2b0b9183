"""`switchboard users set | disable | enable | list` and `switchboard usage` as an operator
runs them, against the in-process platform's table."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from switchboard.bootstrap import container
from switchboard.domain.accounts import User
from switchboard.domain.keys import hash_key
from switchboard.domain.limits import RateLimits
from tests.system.test_cli import operator, refused

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def test_set_disable_enable_and_list(new_user: Callable[..., User]) -> None:
    user = new_user()
    secret = container().accounts.issue_key(user, "theirs").secret
    changed = operator("users", "set", user.user_id, "--plan", "builder", "--role", "admin",
                       "--rpm", "9", "--tpm", "900")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "admin  builder 9/900" in changed.stdout and "1 key(s) updated" in changed.stdout
    key = container().key_repo.get_by_hash(hash_key(secret))
    assert key is not None and (key.role, key.plan, key.limits) == ("admin", "builder",
                                                                   RateLimits(9, 900))  # fmt: skip
    assert operator("users", "disable", user.user_id).stdout.splitlines()[0].endswith("DISABLED")
    key = container().key_repo.get_by_hash(hash_key(secret))
    assert key is not None and key.disabled
    assert "DISABLED" not in operator("users", "enable", user.user_id).stdout
    cleared = operator("users", "set", user.user_id, "--clear-limits")
    assert "9/900" not in cleared.stdout
    refused(operator("users", "set", user.user_id), "Nothing to change")
    refused(operator("users", "set", user.user_id, "--plan", "gold"), "Unknown plan")
    listed = operator("users", "list", "--limit", "1000")
    assert listed.returncode == 0 and user.user_id in listed.stdout


def test_usage_totals_and_entries(new_user: Callable[..., User]) -> None:
    user = new_user()
    totals = operator("usage", user.user_id, "--start", "2026-01-01", "--end", "2026-01-31",
                      "--group-by", "model")  # fmt: skip
    assert totals.returncode == 0, totals.stderr
    assert json.loads(totals.stdout)["groupBy"] == "model"
    entries = operator("usage", user.user_id, "--entries")
    assert [json.loads(line)["type"] for line in entries.stdout.splitlines()] == ["top_up"]
    refused(operator("usage", user.user_id), "startDate")
    refused(operator("usage", "usr_nobody", "--entries"), "No user with id")
