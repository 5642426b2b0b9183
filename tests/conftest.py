"""Shared fixtures: emulated AWS (moto's server over HTTP) with the template's resources,
the local platform's app, a fake OpenAI-compatible upstream, and API keys.

Each xdist worker starts its own emulator and upstream once; tests make their own users
and keys, so they never share state.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container, container
from switchboard.domain.account_changes import NewUser
from switchboard.domain.accounts import Role, User
from switchboard.domain.catalog import DEFAULT_CATALOG
from switchboard.domain.money import usd_to_micro
from switchboard.local.platform import Platform
from switchboard.services.accounts import AccountService
from tests.support.fake_bedrock import FakeBedrock, fake_bedrock
from tests.support.fake_upstream import create_upstream, serve_in_thread

# The environment before any fixture points it at an emulator: for subprocesses under test.
ORIGINAL_ENV = dict(os.environ)
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
TEST_DEV_KEY = "sb_test_dev_key_0123456789abcdefghijklmnopqrstuvwxyz"

# Models served by the fake upstream, appended to the built-in catalog for the tests.
FAKE_MODELS = """
[providers.fake]
kind = "openai_compatible"
base_url = "{base_url}"
api_key = "SWITCHBOARD_TEST_UPSTREAM_KEY"

[[models]]
id = "fake-chat"
name = "Fake upstream chat"
type = "chat"
provider = "fake"
upstream_model = "fake-upstream-chat"
input_price_per_mtok = "1.50"
output_price_per_mtok = "2.00"
context_window = 16000
max_output_tokens = 2000

[[models]]
id = "fake-grader"
name = "Fake upstream that grades: always answers 7 (an experiment's llm_judge)"
type = "chat"
provider = "fake"
upstream_model = "grader"
input_price_per_mtok = "1.50"
output_price_per_mtok = "2.00"

[[models]]
id = "fake-embed"
name = "Fake upstream embeddings"
type = "embedding"
provider = "fake"
upstream_model = "fake-upstream-embed"
input_price_per_mtok = "0.02"
dimensions = 16
supports_dimensions = true
"""
FAKE_MODELS += """
[providers.fake-bedrock]
kind = "bedrock"
region = "us-east-1"

[[models]]
id = "fake-bedrock-chat"
name = "Bedrock (recorded shapes)"
type = "chat"
provider = "fake-bedrock"
upstream_model = "fake.text"
input_price_per_mtok = "0.80"
output_price_per_mtok = "4.00"

[[models]]
id = "fake-bedrock-embed"
name = "Bedrock Titan embeddings (recorded shapes)"
type = "embedding"
provider = "fake-bedrock"
upstream_model = "amazon.titan-embed-text-v2:0"
input_price_per_mtok = "0.02"
dimensions = 1024
supports_dimensions = true
"""
for _misbehaving in (
    "usage-negative",
    "usage-missing",
    "usage-garbage",
    "usage-absurd",
    "ignores-limit",
    "long-reply",
    "surrogate-reply",
    "fail-garbage",
    "tool-caller",
):  # an upstream that answers wrongly (tests/support/fake_upstream.py), at fake-chat's price
    FAKE_MODELS += f"""
[[models]]
id = "{_misbehaving}"
name = "Fake upstream: {_misbehaving}"
type = "chat"
provider = "fake"
upstream_model = "{_misbehaving}"
input_price_per_mtok = "1.50"
output_price_per_mtok = "2.00"
context_window = 16000
max_output_tokens = 4000
"""
FAKE_MODELS += """
[[models]]
id = "fake-bedrock-embed-empty"
name = "Bedrock embeddings answering an empty object (as moto does)"
type = "embedding"
provider = "fake-bedrock"
upstream_model = "fake.empty"
input_price_per_mtok = "0.02"
dimensions = 1024

[[models]]
id = "fake-embed-negative"
name = "Fake upstream embeddings reporting negative usage"
type = "embedding"
provider = "fake"
upstream_model = "usage-negative"
input_price_per_mtok = "0.02"
dimensions = 16
"""
FAKE_MODELS += """
[providers.fake-video]
kind = "openai_compatible"
base_url = "{video_url}"
api_key = "SWITCHBOARD_TEST_UPSTREAM_KEY"

[providers.no-key-video]
kind = "openai_compatible"
base_url = "http://127.0.0.1:9/v1"
api_key = "SWITCHBOARD_TEST_NEVER_SET_KEY"

[[models]]
id = "fake-video"
name = "An HTTP video job API (OpenRouter's shape, tests/support/fake_video_upstream.py)"
type = "video"
provider = "fake-video"
upstream_model = "fake-video-model"
price_per_second = "0.05"
durations = [4, 8]
resolutions = ["720p"]
aspect_ratios = ["16:9", "9:16"]

[[models]]
id = "unavailable-video"
name = "A video model whose upstream key is not configured"
type = "video"
provider = "no-key-video"
price_per_second = "0.05"
durations = [4]
resolutions = ["720p"]
aspect_ratios = ["16:9"]

[[models]]
id = "retired-video"
name = "A retired video model"
type = "video"
provider = "local"
price_per_second = "0.01"
durations = [4]
resolutions = ["480p"]
aspect_ratios = ["16:9"]
deprecated_at = 2025-06-01
retired_at = 2025-09-01
successor = "local-video"
"""
for _failure in ("fail-500", "fail-400", "fail-timeout", "fail-midstream", "slow-stream"):
    FAKE_MODELS += f"""
[[models]]
id = "{_failure}"
name = "Fake upstream: {_failure}"
type = "chat"
provider = "fake"
upstream_model = "{_failure}"
input_price_per_mtok = "1"
output_price_per_mtok = "1"
"""


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def upstream() -> Iterator[Any]:
    """The fake OpenAI-compatible upstream on loopback; `.state.received` records requests."""
    app = create_upstream(chunk_delay_ms=300)
    with serve_in_thread(app) as base_url:
        app.state.base_url = base_url
        yield app


@pytest.fixture(scope="session")
def video_api() -> Iterator[Any]:
    """An HTTP video job API on loopback (tests/support/fake_video_upstream.py)."""
    from tests.support.fake_video_upstream import create_video_upstream

    app = create_video_upstream(api_key="upstream-secret-key")
    with serve_in_thread(app) as base_url:
        app.state.base_url = base_url
        yield app


@pytest.fixture(scope="session")
def test_catalog(upstream: Any, video_api: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalog") / "models.toml"
    urls = {"base_url": upstream.state.base_url, "video_url": video_api.state.base_url}
    extra = FAKE_MODELS.format(**urls)
    path.write_text(DEFAULT_CATALOG.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def bedrock() -> Iterator[FakeBedrock]:
    """Bedrock's runtime API with recorded response shapes; boto3 finds it through
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME, as application code never passes endpoint_url."""
    with fake_bedrock() as server:
        yield server


@pytest.fixture(scope="session")
def platform(test_catalog: Path, bedrock: FakeBedrock) -> Iterator[Platform]:
    """The local platform as `make serve` builds it, minus the HTTP server."""
    os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = bedrock.url
    os.environ["MODEL_CATALOG"] = str(test_catalog)
    os.environ["SWITCHBOARD_TEST_UPSTREAM_KEY"] = "upstream-secret-key"
    started = Platform.start(
        TEMPLATE,
        run_workers=False,
        overrides={"UPSTREAM_TIMEOUT_SECONDS": "2"},
        dev_key=TEST_DEV_KEY,
    )
    yield started
    started.stop()


@pytest.fixture
def services(platform: Platform) -> Container:
    return container()


@pytest.fixture
def get_item_calls(services: Container) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every GetItem the shared DynamoDB client is asked for (its
    observers, as botocore's hooks would be): to count reads, and to see how they were made."""
    calls: list[dict[str, Any]] = []
    client = services.client("dynamodb")

    def count(operation: str, params: dict[str, Any]) -> None:
        if operation == "GetItem":
            calls.append(params)

    client.observers.append(count)
    yield calls
    client.observers.remove(count)


@pytest.fixture
def accounts(services: Container) -> AccountService:
    return services.accounts


@pytest.fixture
def new_user(accounts: AccountService) -> Callable[..., User]:
    """Makes users with fresh emails: `new_user(role=Role.ADMIN, balance_usd=0)`."""

    def make(*, role: Role = Role.USER, plan: str = "maker", balance_usd: int = 10) -> User:
        email = f"{uuid.uuid4().hex}@example.com"
        return accounts.create_user(
            NewUser(email, "Test", "User", role, plan, usd_to_micro(balance_usd))
        )

    return make


@pytest.fixture
def api_key(accounts: AccountService, new_user: Callable[..., User]) -> str:
    """A fresh user with credit, and a key for it."""
    return accounts.issue_key(new_user(), "test key").secret


OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def open_client(platform: Platform) -> OpenClient:
    """`async with open_client(key) as http:` the platform's ASGI app over httpx, with that
    Bearer key (none: anonymous); `cookie=` sends a session cookie instead."""

    @asynccontextmanager
    async def opened(
        key: str | None = None, *, cookie: str | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if cookie is not None:
            headers["Cookie"] = f"token={cookie}"
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=platform.app),
            base_url="http://testserver",
            headers=headers,
        ) as http:
            yield http

    return opened


@pytest.fixture
def connect(open_client: OpenClient, accounts: AccountService) -> Callable[..., Any]:
    """`async with connect(user) as http:` a client with a fresh key of that user."""

    def opened(
        user: User, scopes: tuple[str, ...] = ("*",)
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return open_client(accounts.issue_key(user, "test key", scopes=scopes).secret)

    return opened


@pytest.fixture
async def client(open_client: OpenClient, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """The platform's ASGI app over httpx, authenticated as a fresh user."""
    async with open_client(api_key) as http:
        yield http
