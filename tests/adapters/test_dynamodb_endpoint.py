"""Finding DynamoDB without botocore's client (adapters/aws/dynamodb_endpoint.py): the same
endpoint and region as that client's, setting by setting, or no answer; and the lean client
on a session, which builds botocore's client only when a call needs it."""

from __future__ import annotations

import os
from typing import Any

import botocore.session
import pytest

from switchboard.adapters.aws.dynamodb_client import LeanDynamoClient
from switchboard.adapters.aws.dynamodb_endpoint import find_dynamodb
from tests.adapters.test_dynamodb_client import OK, THROTTLED, Script, key, scripted

__all__ = ["scripted"]  # the fixture, shared with test_dynamodb_client.py

ANSWERED = [
    {"AWS_DEFAULT_REGION": "us-east-1"},
    {"AWS_DEFAULT_REGION": "eu-west-1"},
    {"AWS_DEFAULT_REGION": "cn-north-1"},
    {"AWS_DEFAULT_REGION": "us-gov-west-1"},
    {"AWS_DEFAULT_REGION": "us-isob-east-1"},
    {"AWS_DEFAULT_REGION": "eu-isoe-west-1"},
    {"AWS_DEFAULT_REGION": "eusc-de-east-1"},
    {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://a:1",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://b:2/x/",
    },
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://a:1",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    },
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID": "123456789012",
        "AWS_ACCESS_KEY_ID": "AKID",
        "AWS_SECRET_ACCESS_KEY": "secret",
    },
]
LEFT_TO_BOTOCORE = [
    {},
    {"AWS_DEFAULT_REGION": "us-east-1", "AWS_USE_FIPS_ENDPOINT": "true"},
    {"AWS_DEFAULT_REGION": "us-gov-west-1", "AWS_USE_FIPS_ENDPOINT": "true"},
    {"AWS_DEFAULT_REGION": "us-iso-east-1", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
    {"AWS_DEFAULT_REGION": "us-east-1-fips"},
    {"AWS_DEFAULT_REGION": "aws-global"},
    {"AWS_DEFAULT_REGION": "local"},
    {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_DATA_PATH": "/nowhere"},
]


def session_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    """A botocore session that reads only `env` (no config or credentials file)."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    env = {"AWS_CONFIG_FILE": "/nowhere", "AWS_SHARED_CREDENTIALS_FILE": "/nowhere"} | env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return botocore.session.Session()


@pytest.mark.parametrize("env", ANSWERED, ids=lambda env: ",".join(env.values()))
def test_the_endpoint_and_region_of_botocores_client(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    client = session_with(monkeypatch, env).create_client("dynamodb")
    found = find_dynamodb(session_with(monkeypatch, env))
    assert found == (client.meta.endpoint_url, client.meta.region_name)


@pytest.mark.parametrize("env", LEFT_TO_BOTOCORE, ids=lambda env: ",".join(env.values()))
def test_other_settings_are_left_to_botocores_client(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    assert find_dynamodb(session_with(monkeypatch, env)) is None


def lean_on(monkeypatch: pytest.MonkeyPatch, url: str, built: list[Any]) -> LeanDynamoClient:
    session = session_with(monkeypatch, {
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "AKIDLEAN", "AWS_SECRET_ACCESS_KEY": "secret",
    })  # fmt: skip

    def build() -> Any:
        built.append(session.create_client("dynamodb"))
        return built[-1]

    return LeanDynamoClient.on_session(session, build)


def test_botocores_client_waits_for_a_call_that_needs_it(
    monkeypatch: pytest.MonkeyPatch, scripted: tuple[Script, str]
) -> None:
    script, url = scripted
    built: list[Any] = []
    lean = lean_on(monkeypatch, url, built)
    script.answers = [OK]
    assert lean.update_item(TableName="t", Key=key("x"))["Attributes"] == {"n": {"N": "1"}}
    assert built == []
    headers = {k.lower(): v for k, v in script.requests[0]["headers"].items()}
    assert "/eu-west-1/dynamodb/aws4_request" in headers["authorization"]
    assert lean.meta.region_name == "eu-west-1" and len(built) == 1
    assert lean.meta.endpoint_url == url and len(built) == 1


def test_a_throttled_call_is_retried_as_botocore_does(
    monkeypatch: pytest.MonkeyPatch, scripted: tuple[Script, str]
) -> None:
    script, url = scripted
    built: list[Any] = []
    script.answers = [THROTTLED, OK]
    answer = lean_on(monkeypatch, url, built).get_item(TableName="t", Key=key("x"))
    assert answer["Attributes"] == {"n": {"N": "1"}} and len(script.requests) == 2
    assert len(built) == 1  # for the operation's model, which judges the retry
