"""Prompts on the running platform: the README's SDK example (compile, then a chat completion
with the prompt's model) runs as written, twice (a second run adds a version)."""

from __future__ import annotations

import pytest

from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def test_the_readmes_prompt_example_runs(server: RunningServer) -> None:
    first = run_readme_example(server, "sdk-greeting", section="Prompts").stdout
    second = run_readme_example(server, "sdk-greeting", section="Prompts").stdout
    assert first.startswith("prompt version 1 -> ") and "Ada" in first
    assert second.startswith("prompt version 2 -> ")
