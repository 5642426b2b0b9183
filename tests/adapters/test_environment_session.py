"""EnvironmentSession (adapters/aws/environment_session.py): where the environment alone holds
the answers, the same DynamoDB endpoint, region and credentials as botocore's session;
anywhere else, no stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from switchboard.adapters.aws.dynamodb_endpoint import find_dynamodb
from switchboard.adapters.aws.environment_session import EnvironmentSession
from tests.adapters.test_dynamodb_endpoint import ANSWERED, LEFT_TO_BOTOCORE, session_with

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret"}


def both(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> tuple[Any, Any]:
    """botocore's session and the stand-in, on the same environment."""
    session = session_with(monkeypatch, CREDENTIALS | env)
    standing_in = EnvironmentSession.found()
    assert standing_in is not None
    return session, standing_in


@pytest.mark.parametrize("env", ANSWERED + LEFT_TO_BOTOCORE, ids=lambda env: ",".join(env.values()))
def test_dynamodb_is_found_where_botocores_session_finds_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    session, standing_in = both(monkeypatch, env)
    assert find_dynamodb(standing_in) == find_dynamodb(session)


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_SESSION_TOKEN": "token"},
        {"AWS_SESSION_TOKEN": "token", "AWS_CREDENTIAL_EXPIRATION": "2999-01-01T00:00:00Z"},
        {"AWS_ACCOUNT_ID": "123456789012"},
    ],
    ids=lambda env: ",".join(env),
)
def test_the_credentials_are_botocores_sessions(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    session, standing_in = both(monkeypatch, {"AWS_DEFAULT_REGION": "eu-west-1"} | env)
    ours, theirs = standing_in.get_credentials(), session.get_credentials()
    assert type(ours) is type(theirs)
    assert ours.get_frozen_credentials() == theirs.get_frozen_credentials()
    assert ours.method == theirs.method and ours.account_id == theirs.account_id


def test_a_config_or_credentials_file_takes_botocores_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "config"
    file.write_text("[default]\nregion = eu-west-1\n")
    for variable in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        session_with(monkeypatch, CREDENTIALS | {variable: str(file)})
        assert EnvironmentSession.found() is None


@pytest.mark.parametrize(
    "env",
    [{}, {"AWS_PROFILE": "other"} | CREDENTIALS, {"AWS_DEFAULT_PROFILE": "other"} | CREDENTIALS],
    ids=["no credentials", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"],
)
def test_a_profile_or_credentials_from_elsewhere_take_botocores_session(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    session_with(monkeypatch, {"AWS_DEFAULT_REGION": "eu-west-1"} | env)
    assert EnvironmentSession.found() is None
