"""The official OpenAI Node SDK against the running platform: another client, unchanged.

Node and npm come with this machine; `make test` installs the pinned SDK
(tests/sdk-node/package-lock.json) with `npm ci`.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]
CHECK = ROOT / "tests" / "sdk-node" / "check.mjs"


@pytest.fixture(scope="module")
def findings(server: RunningServer) -> dict[str, object]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed on this machine")
    if not (CHECK.parent / "node_modules" / "openai").is_dir():
        pytest.skip("the Node SDK is not installed: run `make test` (it runs npm ci)")
    env = ORIGINAL_ENV | {
        "SWITCHBOARD_BASE_URL": f"{server.base_url}/v1",
        "SWITCHBOARD_API_KEY": server.api_key,
    }
    result = subprocess.run(
        ["node", str(CHECK)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_models_and_chat(findings: dict[str, object]) -> None:
    assert "local-chat" in findings["models"]  # type: ignore[operator]
    assert str(findings["content"]).endswith("You said: Hello, Node")


def test_stream_helper_accumulates_the_message(findings: dict[str, object]) -> None:
    assert findings["streamed"] == findings["final"] == findings["content"]
    assert findings["finalRole"] == "assistant"
    assert findings["streamUsage"] == findings["usage"]


def test_base64_embeddings_decode_to_the_floats(findings: dict[str, object]) -> None:
    assert findings["embeddingLength"] == 384
    assert findings["embeddingHead"] == pytest.approx(findings["floatHead"], abs=1e-6)


def test_errors_become_the_sdks_error_classes(findings: dict[str, object]) -> None:
    assert findings["notFound"] == {
        "name": "NotFoundError",
        "status": 404,
        "code": "model_not_found",
    }
    assert findings["badKey"] == {
        "name": "AuthenticationError",
        "status": 401,
        "code": "invalid_api_key",
    }
