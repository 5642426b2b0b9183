"""The console in a real headless browser: Debian's Chromium driven by Playwright.

One platform (`switchboard serve`, as a user starts it) and one browser for all the tests
(they are one module); each test gets a fresh browser context (its own cookies).
Screenshots of every page go to test-results/screenshots/ for a reviewer to look at.
Chromium is installed by `make test` (apt-get, when /usr/bin/chromium is missing); never by
`playwright install`, which downloads a browser and fails offline.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer, server_env, start_server

CHROMIUM = Path(os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-results" / "screenshots"
DEV_EMAIL = "dev@switchboard.local"


@dataclass
class Console:
    server: RunningServer
    password: str

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/console"

    def sdk(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.server.base_url}/v1", api_key=self.server.api_key, max_retries=0
        )

    def api(self, key: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {key or self.server.api_key}"}
        return httpx.Client(base_url=self.server.base_url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def console() -> Iterator[Console]:
    env = server_env(ORIGINAL_ENV, SWITCHBOARD_DEV_PASSWORD="console-dev-password")
    running = start_server(ROOT, env)
    banner = "".join(running.output)
    found = re.search(r"Console:\s+\S+ \(sign in as \S+, password (\S+)\)", banner)
    assert found, banner
    yield Console(running, found.group(1))
    running.stop()


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this
# thread while it is open, and any async test that ran meanwhile on the same worker would
# fail ("Cannot run the event loop while another loop is running"). All the browser tests
# are one module, so this is still one browser (and one platform) for them all.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev lock")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox refuses to run as root (containers, CI).
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: _refused(message.text, errors))
    yield opened
    context.close()
    assert not errors, errors  # no uncaught script error, nothing the CSP refused


def _refused(text: str, errors: list[str]) -> None:
    if "Content Security Policy" in text:
        errors.append(text)


def sign_in(page: Any, console: Console, email: str = DEV_EMAIL, password: str = "") -> None:
    """Sign in through the API from the page's context (the cookie lands in its jar)."""
    answer = page.request.post(
        f"{console.server.base_url}/auth/login",
        data={"email": email, "password": password or console.password},
    )
    assert answer.ok, answer.text()


def open_page(page: Any, console: Console, name: str) -> None:
    page.goto(f"{console.url}/{name}")
    page.wait_for_selector("main[data-ready]")
    assert page.locator("main").get_attribute("data-ready") == "true", page.inner_text("#alerts")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def keep_for_docs(source: Path, name: str) -> None:
    """Copy a screenshot to docs/ (the README shows two) when SWITCHBOARD_DOCS_SCREENSHOTS is
    set; the suite never writes into the repository otherwise."""
    if os.environ.get("SWITCHBOARD_DOCS_SCREENSHOTS"):
        shutil.copyfile(source, ROOT / "docs" / name)
