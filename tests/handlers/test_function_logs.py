"""Log lines name the function that logged them, although the local platform runs every
function in one process, where Powertools' appended keys are shared by all of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchboard.api.access_log import service_logger
from switchboard.local.functions import LocalContext, load_handler
from switchboard.local.platform import Platform
from switchboard.local.template import Template
from switchboard.local.workers import invoke
from tests.conftest import ROOT, TEMPLATE
from tests.support.ledger import hold, reserve
from tests.support.logs import access_lines, captured_logs

SWEEP = json.loads((ROOT / "events" / "sweeper" / "scheduled.json").read_text())


def sweeper() -> Any:
    return next(s for s in Template.load(TEMPLATE).functions() if s.logical_id == "SweeperFunction")


def test_a_scheduled_invocation_names_its_function_and_leaves_no_keys_behind(
    services: Any, new_user: Any
) -> None:
    user = new_user(balance_usd=1)
    reserve(services.ledger_repo, hold(user, 250_000, age_seconds=3600))
    spec = sweeper()
    before = dict(service_logger().get_current_keys())
    with captured_logs() as lines:
        result = invoke(load_handler(spec), SWEEP, LocalContext(spec, "arn:local"))
    assert result["released"] >= 1
    [released] = [line for line in lines if line["message"] == "released expired reservations"]
    assert released["function_name"] == "SweeperFunction"
    assert service_logger().get_current_keys() == before


@pytest.fixture
def sweeper_keys_left_behind() -> Iterator[None]:
    """What a sweep left in the shared keys before workers.invoke took them off again."""
    logger = service_logger()
    before = dict(logger.get_current_keys())
    logger.append_keys(function_name="SweeperFunction", function_memory_size=1024)
    yield
    logger.remove_keys(["function_name", "function_memory_size"])
    logger.append_keys(**{k: v for k, v in before.items() if k.startswith("function_")})


@pytest.mark.anyio
@pytest.mark.usefixtures("sweeper_keys_left_behind")
async def test_each_route_logs_as_the_function_that_serves_it(
    platform: Platform, api_key: str
) -> None:
    transport = httpx.ASGITransport(app=platform.app)
    headers = {"Authorization": f"Bearer {api_key}"}
    chat = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:
        with captured_logs() as lines:
            await http.get("/health")
            await http.get("/auth/me")
            await http.post("/v1/chat/completions", json=chat)
            await http.get("/apps")
            await http.get("/v1/models")
    named = [(line["route"], line["function_name"]) for line in access_lines(lines)]
    assert named == [
        ("/health", "CatalogFunction"),
        ("/auth/me", "AccountsFunction"),
        ("/v1/chat/completions", "InferenceFunction"),
        ("/apps", "AppsFunction"),
        ("/v1/models", "CatalogFunction"),
    ]
