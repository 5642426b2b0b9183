"""Prompts on the running platform: the README's SDK example (compile, then a chat completion
with the prompt's model) runs as written, twice (a second run adds a version); the
`switchboard prompts` command reads what it made."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.support.readme import run_readme_example
from tests.support.server import SWITCHBOARD, RunningServer
from tests.system.test_batch_cli import user_env

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def test_the_readmes_prompt_example_runs(server: RunningServer) -> None:
    first = run_readme_example(server, "sdk-greeting", section="Prompts").stdout
    second = run_readme_example(server, "sdk-greeting", section="Prompts").stdout
    first_version, second_version = int(first.split()[2]), int(second.split()[2])
    assert second_version == first_version + 1 and "Ada" in first


def test_the_prompts_command_lists_and_reads(server: RunningServer) -> None:
    """`switchboard prompts` as a user runs it, after the README example made a prompt."""
    run_readme_example(server, "sdk-greeting", section="Prompts")

    def prompts(*args: str) -> Any:
        result = subprocess.run(
            [str(SWITCHBOARD), "prompts", *args], env=user_env(server), capture_output=True,
            text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert "sdk-greeting" in [p["slug"] for p in prompts("list", "--limit", "100")["data"]]
    served = prompts("get", "sdk-greeting", "--tag", "production")["prompt"]
    assert served["text"] == "Greet {{name}}." and served["tag"] == "production"
    compiled = prompts("compile", "sdk-greeting", "--var", "name=Ada")
    assert compiled["messages"] == [{"role": "user", "content": "Greet Ada."}]
