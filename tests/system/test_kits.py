"""Kits and skills on the platform as `make serve` runs it: a skill through the official
`openai` SDK's extra_body (its system prompt reaching the upstream first), a kit run, and
the README's Python examples run as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def test_a_skill_through_the_sdks_extra_body(
    sdk: openai.OpenAI, server: RunningServer, upstream: Any
) -> None:
    marker = uuid.uuid4().hex
    messages: Any = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Review: def add(a, b): return a - b"},
    ]
    reply = sdk.chat.completions.create(
        model="fake-chat", messages=messages, user=marker, extra_body={"skill": "coder"}
    )
    assert reply.choices[0].message.content
    sent = next(
        r.body for r in reversed(upstream.state.received) if (r.body or {}).get("user") == marker
    )
    with httpx.Client(base_url=server.base_url) as http:
        skills = http.get("/skills", headers={"Authorization": f"Bearer {server.api_key}"})
    assert "coder" in {skill["id"] for skill in skills.json()["skills"]}
    assert sent["messages"][0]["role"] == "system"
    assert "software engineer" in sent["messages"][0]["content"]
    assert sent["messages"][1:] == messages
    assert "skill" not in sent


def test_an_unknown_skill_is_a_400_through_the_sdk(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        sdk.chat.completions.create(
            model="local-chat",
            messages=[{"role": "user", "content": "Hi"}],
            extra_body={"skill": "astrologer"},
        )
    assert raised.value.code == "unknown_skill" and raised.value.param == "skill"


@pytest.mark.parametrize("marker", ["sb.kits.run", "extra_body"])
def test_the_readmes_kit_and_skill_examples_run_as_written(
    server: RunningServer, marker: str
) -> None:
    result = run_readme_example(server, marker, section="Kits and skills")
    if marker == "sb.kits.run":
        assert result.stdout.startswith("positive {'positive': 1.0")
        assert "usage: {'input_tokens'" in result.stdout and "latency_ms:" in result.stdout
    else:
        assert "You said: Review" in result.stdout


def test_the_kits_command_lists_and_checks_kit_catalogs(tmp_path: Path) -> None:
    def switchboard(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "switchboard.cli", *args]
        return subprocess.run(
            command, env=ORIGINAL_ENV, capture_output=True, text=True, timeout=60, check=False
        )

    listing = switchboard("kits")
    assert listing.returncode == 0
    assert "text-gen" in listing.stdout and "$0.0004/1K" in listing.stdout
    assert "tools: web_search, url_fetch" in listing.stdout
    bad = tmp_path / "kits.toml"
    bad.write_text('[[kits]]\nid = "x"\n')
    checked = switchboard("kits", "--check", str(bad))
    assert checked.returncode == 1 and "kit 'x'" in checked.stderr


def test_the_readmes_javascript_kit_example_runs_as_written(server: RunningServer) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed on this machine")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Kits and skills", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```js\n(.*?)```", section, flags=re.DOTALL)
    code = example.replace("http://127.0.0.1:8000", server.base_url)
    env = ORIGINAL_ENV | {"SWITCHBOARD_API_KEY": server.api_key}
    result = subprocess.run(
        ["node", "--input-type=module", "-e", code], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "You said: Review: const x = 1 +" in result.stdout
    assert "total_tokens" in result.stdout
