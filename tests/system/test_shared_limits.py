"""A rate limit holds across two `switchboard serve` processes sharing one emulated AWS,
as it must across Lambda containers: the counters live in DynamoDB, not in memory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer, server_env, start_server

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def second(server: RunningServer, test_catalog: Path) -> Iterator[RunningServer]:
    env = server_env(
        ORIGINAL_ENV,
        MODEL_CATALOG=str(test_catalog),
        SWITCHBOARD_DEV_API_KEY=server.api_key,  # the same development key, already stored
    )
    running = start_server(ROOT, env, "--aws-endpoint", server.aws_endpoint)
    yield running
    assert running.stop() == 0


def test_a_limit_holds_across_two_servers(server: RunningServer, second: RunningServer) -> None:
    admin = {"Authorization": f"Bearer {server.api_key}"}
    created = httpx.post(
        f"{second.base_url}/admin/users",
        headers=admin,
        json={"email": f"shared-{time.time_ns()}@example.com", "first_name": "S",
              "last_name": "L", "plan": "enterprise", "credits_usd": "1",
              "rate_limits": {"requests_per_minute": 6, "tokens_per_minute": 100000}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    key = httpx.post(
        f"{server.base_url}/admin/users/{created.json()['id']}/apikeys",
        headers=admin,
        json={"name": "shared", "scopes": ["*"]},
    ).json()["key"]
    if time.time() % 60 > 50:  # one window for the whole test
        time.sleep(61 - time.time() % 60)
    headers = {"Authorization": f"Bearer {key}"}
    statuses = []
    for i in range(10):
        base = (server, second)[i % 2].base_url
        statuses.append(httpx.get(f"{base}/v1/models", headers=headers).status_code)
    assert statuses == [200] * 6 + [429] * 4
    last = httpx.get(f"{second.base_url}/v1/models", headers=headers)
    assert last.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(last.headers["retry-after"]) <= 60
