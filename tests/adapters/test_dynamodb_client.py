"""The lean DynamoDB client against boto3's, on moto's server: the same answers and the same
errors, field for field; and against a scripted loopback server: botocore's retries (throttling,
5xx, a broken CRC32), its signing and its error codes."""

from __future__ import annotations

import json
import threading
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from switchboard.adapters.aws.dynamodb_client import NEVER_RETRIED, LeanDynamoClient
from switchboard.bootstrap import Container


@pytest.fixture
def clients(services: Container) -> tuple[Any, LeanDynamoClient, str]:
    lean = services.client("dynamodb")
    assert isinstance(lean, LeanDynamoClient)
    return boto3.client("dynamodb"), lean, services.settings.TABLE_NAME


def key(name: str) -> dict[str, Any]:
    return {"PK": {"S": f"LEAN#{name}"}, "SK": {"S": "ITEM"}}


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_the_same_answers_as_boto3(clients: tuple[Any, LeanDynamoClient, str]) -> None:
    boto, lean, table = clients
    for client, name in ((boto, f"b-{uuid.uuid4().hex}"), (lean, f"l-{uuid.uuid4().hex}")):
        client.put_item(TableName=table, Item=key(name) | {"n": {"N": "1"}, "m": {"M": {}}})
    results = []
    for client, prefix in ((boto, "b"), (lean, "l")):
        name = f"{prefix}-{uuid.uuid4().hex}"
        client.put_item(TableName=table, Item=key(name) | {"n": {"N": "1"}, "tags": {"L": []}})
        updated = client.update_item(
            TableName=table, Key=key(name), UpdateExpression="ADD n :one SET s = :s",
            ExpressionAttributeValues={":one": {"N": "2"}, ":s": {"S": "x"}},
            ReturnValues="UPDATED_NEW",
        )  # fmt: skip
        got = client.get_item(TableName=table, Key=key(name), ConsistentRead=True)
        missing = client.get_item(TableName=table, Key=key("none"), ConsistentRead=True)
        got["Item"] = {k: v for k, v in got["Item"].items() if k != "PK"}
        both = client.batch_get_item(RequestItems={table: {
            "Keys": [key(name), key("none")], "ConsistentRead": True,
            "ProjectionExpression": "SK, #n, tags", "ExpressionAttributeNames": {"#n": "n"},
        }})  # fmt: skip
        results.append([without_metadata(r) for r in (updated, got, missing, both)])
    assert results[0] == results[1]


def test_the_same_errors_as_boto3(clients: tuple[Any, LeanDynamoClient, str]) -> None:
    boto, lean, table = clients
    name = f"e-{uuid.uuid4().hex}"
    boto.put_item(TableName=table, Item=key(name) | {"n": {"N": "5"}})
    failures = []
    for client in (boto, lean):
        with pytest.raises(ClientError) as refused:
            client.update_item(
                TableName=table, Key=key(name), UpdateExpression="ADD n :one",
                ConditionExpression="n > :big",
                ExpressionAttributeValues={":one": {"N": "1"}, ":big": {"N": "9"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )  # fmt: skip
        with pytest.raises(ClientError) as cancelled:
            client.transact_write_items(TransactItems=[
                {"ConditionCheck": {"TableName": table, "Key": key(name),
                                    "ConditionExpression": "attribute_not_exists(PK)",
                                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Put": {"TableName": table, "Item": key(f"{name}-2")}},
            ])  # fmt: skip
        failures.append([without_metadata(e.value.response) for e in (refused, cancelled)])
        assert refused.value.operation_name == "UpdateItem"
    assert failures[0] == failures[1]
    assert failures[1][0]["Error"]["Code"] == "ConditionalCheckFailedException"
    assert failures[1][0]["Item"]["n"] == {"N": "5"}
    assert failures[1][1]["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in failures[1][1]["CancellationReasons"]] == [
        "ConditionalCheckFailed", "None",
    ]  # fmt: skip


def test_other_calls_are_boto3s(clients: tuple[Any, LeanDynamoClient, str]) -> None:
    _, lean, table = clients
    name = f"q-{uuid.uuid4().hex}"
    lean.put_item(TableName=table, Item=key(name))
    found = lean.query(
        TableName=table, KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": key(name)["PK"]},
    )  # fmt: skip
    assert found["Count"] == 1 and lean.get_paginator("query") is not None


# --- retries, signing and codes, against a scripted server ---------------------------------


class Script:
    """Answers each request with the next of `answers`: (status, body, headers)."""

    def __init__(self, answers: list[tuple[int, dict[str, Any], dict[str, str]]]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Script, str]]:
    script = Script([])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            script.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
            status, answer, headers = script.answers.pop(0)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amz-crc32", headers.pop("crc", str(zlib.crc32(data))))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield script, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def lean_at(url: str, token: str | None = None) -> LeanDynamoClient:
    boto = boto3.client("dynamodb", endpoint_url=url, region_name="eu-west-1",
                        aws_access_key_id="AKIDLEAN", aws_secret_access_key="secret")  # fmt: skip
    return LeanDynamoClient(boto, Credentials("AKIDLEAN", "secret", token))


THROTTLED = (400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                   "message": "Rate exceeded"}, {})  # fmt: skip
BROKEN = (500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"}, {})
OK = (200, {"Attributes": {"n": {"N": "1"}}}, {})


def test_throttling_and_server_errors_are_retried_as_botocore_does(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.answers = [THROTTLED, BROKEN, OK]
    answer = lean_at(url).update_item(TableName="t", Key=key("x"), UpdateExpression="SET n = :n")
    assert answer["Attributes"] == {"n": {"N": "1"}} and len(script.requests) == 3


def test_after_three_attempts_the_error_is_botocores(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.answers = [THROTTLED, THROTTLED, THROTTLED]
    with pytest.raises(ClientError) as throttled:
        lean_at(url).get_item(TableName="t", Key=key("x"))
    assert throttled.value.response["Error"] == {"Code": "ThrottlingException",
                                                 "Message": "Rate exceeded"}  # fmt: skip
    assert len(script.requests) == 3


def test_a_response_failing_its_crc32_is_retried(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.answers = [(200, {"Attributes": {}}, {"crc": "1"}), OK]
    assert lean_at(url).put_item(TableName="t", Item=key("x")) is not None
    assert len(script.requests) == 2


def test_a_condition_that_fails_is_not_retried(scripted: tuple[Script, str]) -> None:
    """Nor is botocore's client built to judge it (its model cannot make it retryable)."""
    script, url = scripted
    failed = (400, {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                    "message": "The conditional request failed"}, {})  # fmt: skip
    script.answers = [failed]
    built: list[Any] = []

    def build() -> Any:
        built.append(lean_at(url)._boto)
        return built[-1]

    lean = LeanDynamoClient(build, Credentials("AKIDLEAN", "secret"), where=(url, "eu-west-1"))
    with pytest.raises(ClientError) as refused:
        lean.update_item(TableName="t", Key=key("x"), UpdateExpression="SET n = :n")
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert len(script.requests) == 1 and built == []


def test_an_error_the_model_marks_retryable_is_retried(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    conflict = (400, {"__type": "com.amazonaws.dynamodb.v20120810#ReplicatedWriteConflictException",
                      "message": "conflict"}, {})  # fmt: skip
    script.answers = [conflict, OK]
    answer = lean_at(url).update_item(TableName="t", Key=key("x"), UpdateExpression="SET n = :n")
    assert answer["Attributes"] == {"n": {"N": "1"}} and len(script.requests) == 2


def test_the_errors_judged_without_the_model_are_retryable_in_no_operation() -> None:
    model = boto3.client("dynamodb", region_name="eu-west-1").meta.service_model
    for name in model.operation_names:
        for shape in model.operation_model(name).error_shapes:
            code = shape.metadata.get("error", {}).get("code") or shape.name
            if code in NEVER_RETRIED:
                assert shape.metadata.get("retryable") is None, (name, code)


def test_requests_are_signed_with_the_credentials_for_the_region(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.answers = [OK]
    lean_at(url, token="session-token").update_item(TableName="t", Key=key("x"))
    sent = script.requests[0]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert (
        headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDLEAN/")
        and "/eu-west-1/dynamodb/aws4_request" in headers["authorization"]
    )
    assert headers["x-amz-target"] == "DynamoDB_20120810.UpdateItem"
    assert headers["x-amz-security-token"] == "session-token" and "x-amz-date" in headers
    assert sent["body"] == {"TableName": "t", "Key": key("x")}
