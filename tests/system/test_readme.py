"""The README's examples, run as written against a running platform."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(sh|python)\n(.*?)```", README, flags=re.DOTALL)
# curl examples, and those that keep an id from a first curl for the next (`ID=$(curl ...)`)
CURLS = [
    code
    for lang, code in BLOCKS
    if lang == "sh" and (code.startswith("curl") or re.match(r"[A-Z_]+=\$\(curl ", code))
]
PYTHON = [code for lang, code in BLOCKS if lang == "python"]
DEFAULT_URL = "http://127.0.0.1:8000"


def run(command: list[str], server: RunningServer) -> str:
    env = ORIGINAL_ENV | {"SWITCHBOARD_API_KEY": server.api_key}
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_has_the_examples() -> None:
    assert len(CURLS) >= 5 and len(PYTHON) >= 1
    assert README.index("make serve") < 400 and README.index("make test") < 400


@pytest.mark.parametrize("code", CURLS, ids=[f"curl-{i}" for i in range(len(CURLS))])
def test_curl_example(code: str, server: RunningServer) -> None:
    output = run(["bash", "-c", code.replace(DEFAULT_URL, server.base_url)], server)
    if '"stream": true' in code:
        assert output.rstrip().endswith("data: [DONE]") and '"usage"' in output
    else:
        assert (
            json.loads(output).get("error") is None
        )  # no error envelope (an object may say error: null)


def test_python_example(server: RunningServer) -> None:
    output = run([sys.executable, "-c", PYTHON[0].replace(DEFAULT_URL, server.base_url)], server)
    assert "You said: Hello!" in output and "usage:" in output and "384 dimensions" in output
