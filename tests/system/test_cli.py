"""The `switchboard` command as an operator runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import SWITCHBOARD, server_env

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def switchboard(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = server_env(ORIGINAL_ENV)
    return subprocess.run(
        [str(SWITCHBOARD), *args],
        cwd=ROOT,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_invoke_runs_the_real_handler_on_emulated_aws() -> None:
    result = switchboard("invoke", "inference", "--event", "events/inference/chat-completion.json")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"].endswith("Hello from an API Gateway event!")


def test_invoke_by_logical_id_and_unknown_function() -> None:
    result = switchboard("invoke", "CatalogFunction", "--event", "events/catalog/health.json")
    assert json.loads(result.stdout)["statusCode"] == 200
    unknown = switchboard("invoke", "nope", "--event", "events/catalog/health.json")
    assert unknown.returncode != 0 and "InferenceFunction (inference)" in unknown.stderr


def test_routes_lists_the_template_wiring() -> None:
    lines = switchboard("routes").stdout.splitlines()
    assert any(
        line.split() == ["POST", "/v1/chat/completions", "InferenceFunction"] for line in lines
    )
    assert any(line.split() == ["GET", "/health", "CatalogFunction"] for line in lines)


def test_models_lists_and_checks_catalogs(tmp_path: Path) -> None:
    listing = switchboard("models")
    assert listing.returncode == 0 and "local-chat" in listing.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[providers.p]\nkind = "nope"\n')
    checked = switchboard("models", "--check", str(bad))
    assert checked.returncode == 1 and "providers.p" in checked.stderr


def test_create_admin_writes_a_working_key_into_a_table(platform: object) -> None:
    import os

    from switchboard.bootstrap import container
    from switchboard.domain.keys import hash_key

    env = {
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    table = os.environ["TABLE_NAME"]
    args = ["create-admin", "--email", "ops@example.com", "--table", table, "--credits-usd", "25"]
    created = switchboard(*args, env=env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.split("API key (shown once): ")[1].strip()
    key = container().keys.get_by_hash(hash_key(secret))
    assert key is not None and key.role == "admin"
    assert container().accounts.balance(key.user_id) == 25_000_000
    again = switchboard(*args, env=env)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_a_second_server_shares_the_first_ones_emulated_aws(platform: object) -> None:
    """`serve --aws-endpoint`: two gateways, one DynamoDB (as two Lambda containers share one)."""
    import os

    import httpx

    from switchboard.bootstrap import container
    from switchboard.domain.keys import hash_key
    from tests.support.server import start_server

    env = server_env(ORIGINAL_ENV, SWITCHBOARD_DEV_API_KEY="sb_second_server_key")
    second = start_server(ROOT, env, "--aws-endpoint", os.environ["AWS_ENDPOINT_URL"])
    try:
        assert container().keys.get_by_hash(hash_key("sb_second_server_key")) is not None
        headers = {"Authorization": "Bearer sb_second_server_key"}
        assert httpx.get(f"{second.base_url}/v1/models", headers=headers).status_code == 200
    finally:
        assert second.stop() == 0
