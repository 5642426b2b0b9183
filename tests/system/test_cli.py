"""The `switchboard` command as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import SWITCHBOARD, server_env

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def switchboard(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = server_env(ORIGINAL_ENV)
    return subprocess.run(
        [str(SWITCHBOARD), *args],
        cwd=cwd,
        env=clean | (env or {}),
        input=stdin,
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
    refused(unknown, "No function 'nope' in the template")
    assert "InferenceFunction (inference)" in unknown.stderr


def test_invoke_with_a_missing_or_broken_event_file(tmp_path: Path) -> None:
    missing = switchboard("invoke", "catalog", "--event", str(tmp_path / "none.json"))
    refused(missing, "Cannot read the event file")
    assert "none.json" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    refused(switchboard("invoke", "catalog", "--event", str(broken)), "is not JSON")


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
    table = container().settings.TABLE_NAME
    args = ["create-admin", "--email", "ops@example.com", "--table", table, "--credits-usd", "25"]
    created = switchboard(*args, env=env)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.split("API key (shown once): ")[1].strip()
    key = container().key_repo.get_by_hash(hash_key(secret))
    assert key is not None and key.role == "admin"
    assert container().ledger_repo.balance(key.user_id) == 25_000_000
    again = switchboard(*args, env=env)
    assert again.returncode == 1 and "already taken" in again.stderr


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
        assert container().key_repo.get_by_hash(hash_key("sb_second_server_key")) is not None
        headers = {"Authorization": "Bearer sb_second_server_key"}
        assert httpx.get(f"{second.base_url}/v1/models", headers=headers).status_code == 200
    finally:
        assert second.stop() == 0


# --- operator commands --------------------------------------------------------------------


def operator(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """An operator command against the in-process platform's table, named explicitly."""
    import os

    from switchboard.bootstrap import container

    table = container().settings.TABLE_NAME
    where = ["--aws-endpoint", os.environ["AWS_ENDPOINT_URL"], "--table", table]
    region = {"AWS_DEFAULT_REGION": os.environ["AWS_DEFAULT_REGION"]}
    return switchboard(*args, *where, env=region, stdin=stdin)


def printed(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The `name  value` lines a command printed, and the key it showed, as a dict."""
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(maxsplit=1) for line in result.stdout.splitlines() if line.strip())
    secret = result.stdout.partition("API key (shown once): ")[2].strip()
    return fields | ({"secret": secret} if secret else {})


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_users_credits_keys_and_ledger_check(platform: object) -> None:
    from switchboard.bootstrap import container
    from switchboard.domain.keys import hash_key
    from switchboard.domain.limits import RateLimits
    from switchboard.services.passwords import verify_password

    email = f"{uuid.uuid4().hex}@Example.com"
    user = printed(
        operator(
            "users", "create", "--email", email, "--first-name", "Ada", "--last-name", "Ops",
            "--plan", "builder", "--credits-usd", "12.5", "--password-stdin",
            "--rpm", "7", "--tpm", "7000",
            stdin="correct horse battery\n",
        )
    )  # fmt: skip
    assert (user["email"], user["role"], user["plan"]) == (email.lower(), "user", "builder")
    assert (user["credits_usd"], user["token_balance"]) == ("12.500000", "12500000")
    found = container().account_repo.find_by_email(email)
    assert found is not None and verify_password("correct horse battery", found[1])
    assert found[0].limits == RateLimits(7, 7000)

    topped = printed(
        operator("users", "credits", user["id"], "--amount-usd", "2.25", "--reason", "promo")
    )
    assert topped["credits_usd"] == "14.750000"
    adjusted = operator("users", "credits", user["id"], "--amount-usd", "-0.75", "--reason", "fix")
    assert printed(adjusted)["credits_usd"] == "14.000000"
    too_much = operator("users", "credits", user["id"], "--amount-usd", "-20", "--reason", "x")
    refused(too_much, "below zero")
    assert printed(operator("users", "show", user["id"]))["credits_usd"] == "14.000000"

    key = printed(operator("keys", "create", user["id"], "--name", "ci", "--scopes", "ai:gateway"))
    record = container().key_repo.get_by_hash(hash_key(key["secret"]))
    assert record is not None and record.user_id == user["id"]
    assert record.scopes == ("ai:gateway",) and record.key_id == key["id"]

    one = operator("ledger", "check", "--user", user["id"])
    assert one.returncode == 0 and one.stdout == "checked 1 user: all balanced\n", one.stdout
    every = operator("ledger", "check")
    assert every.returncode == 0, every.stdout
    assert every.stdout.splitlines()[-1].endswith("users: all balanced")


def test_operator_errors_are_one_line_without_a_traceback(platform: object) -> None:
    refused(operator("users", "show", "usr_nobody"), "No user with id 'usr_nobody'")
    refused(operator("ledger", "check", "--user", "usr_nobody"), "No user with id")
    refused(operator("keys", "create", "usr_nobody", "--name", "k"), "No user with id")
    base = ["users", "create", "--first-name", "A", "--last-name", "B"]
    refused(operator(*base, "--email", "not-an-email"), "email")
    refused(operator(*base, "--email", "a@b.co", "--plan", "gold"), "Unknown plan 'gold'")
    refused(operator(*base, "--email", "a@b.co", "--credits-usd", "1.0000001"), "six decimals")
    refused(operator(*base, "--email", "a@b.co", "--rpm", "5"), "--rpm and --tpm")
    refused(operator(*base, "--email", "a@b.co", "--credits-usd", "1e999999999999"), "below $1")
    unnamed = ["users", "create", "--email", "a@b.co", "--last-name", "B"]
    refused(operator(*unnamed, "--first-name", ""), "first_name")
    refused(switchboard("users", "show", "u", "--aws-endpoint", "http://x"), "needs --table")


def test_ledger_check_reports_a_tampered_ledger(platform: object) -> None:
    from switchboard.bootstrap import container
    from tests.services.test_audit import add_ledger_entry, remove_ledger_entry

    user_id = printed(
        operator("users", "create", "--email", f"{uuid.uuid4().hex}@example.com",
                 "--first-name", "T", "--last-name", "T", "--credits-usd", "1")
    )["id"]  # fmt: skip
    sort_key = add_ledger_entry(container(), user_id, 321)
    try:
        one = operator("ledger", "check", "--user", user_id)
        assert one.returncode == 1
        problem, summary = one.stdout.splitlines()
        assert problem.startswith(f"{user_id}: balance $1.000000 over 1 entries")
        assert "sum to $1.000321 (difference $0.000321, +1 entries)" in problem
        assert summary == "checked 1 user: 1 unbalanced"
        every = operator("ledger", "check")
        assert every.returncode == 1 and every.stdout.endswith("1 unbalanced\n"), every.stdout
    finally:
        remove_ledger_entry(container(), user_id, sort_key)
    assert operator("ledger", "check", "--user", user_id).returncode == 0


def test_operator_commands_find_the_server_running_in_their_directory(tmp_path: Path) -> None:
    """`switchboard serve` leaves .switchboard/local.json while it runs; commands run in the
    same directory use its emulated AWS and table, with no --stack or --table."""
    from tests.conftest import TEMPLATE
    from tests.support.server import start_server

    server = start_server(tmp_path, server_env(ORIGINAL_ENV), "--template", str(TEMPLATE))
    try:
        state = json.loads((tmp_path / ".switchboard" / "local.json").read_text())
        assert state["aws_endpoint"] == server.aws_endpoint
        assert state["pid"] == server.process.pid
        email = f"{uuid.uuid4().hex}@example.com"
        created = switchboard(
            "users", "create", "--email", email, "--first-name", "L", "--last-name", "P",
            cwd=tmp_path,
        )  # fmt: skip
        user_id = printed(created)["id"]
        assert printed(switchboard("users", "show", user_id, cwd=tmp_path))["email"] == email
        checked = switchboard("ledger", "check", cwd=tmp_path)  # the dev admin and this user
        assert checked.returncode == 0 and "checked 2 users: all balanced" in checked.stdout
    finally:
        assert server.stop() == 0
    assert not (tmp_path / ".switchboard" / "local.json").exists()
    refused(switchboard("users", "show", user_id, cwd=tmp_path), "No local platform found")


def test_stack_mode_reads_the_table_and_key_prefix_from_the_stack(platform: object) -> None:
    """--stack: the TableName output and the ApiKeyPrefix parameter (moto's CloudFormation)."""
    import os

    from switchboard.bootstrap import container

    stack = f"ops-{uuid.uuid4().hex[:8]}"
    template = {
        "Parameters": {"ApiKeyPrefix": {"Type": "String", "Default": "sbx_"}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"TableName": {"Value": container().settings.TABLE_NAME}},
    }
    container().client("cloudformation").create_stack(
        StackName=stack, TemplateBody=json.dumps(template)
    )
    env = {
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": os.environ["AWS_DEFAULT_REGION"],
    }
    admin = switchboard(
        "create-admin", "--email", f"{stack}@example.com", "--stack", stack, env=env
    )
    assert printed(admin)["secret"].startswith("sbx_")
    refused(switchboard("users", "show", "u", "--stack", "no-such-stack", env=env), "no-such-stack")
