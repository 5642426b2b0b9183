"""One platform for the system tests, started as `make serve` starts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer, server_env, start_server


@pytest.fixture(scope="session")
def server(test_catalog: Path) -> Iterator[RunningServer]:
    env = server_env(
        ORIGINAL_ENV,
        MODEL_CATALOG=str(test_catalog),
        SWITCHBOARD_TEST_UPSTREAM_KEY="upstream-secret-key",
    )
    running = start_server(ROOT, env)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def sdk(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{server.base_url}/v1", api_key=server.api_key, max_retries=0
    ) as client:
        yield client
