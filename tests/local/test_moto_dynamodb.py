"""The emulator's DynamoDB transactions (local/moto_dynamodb.py) behave as DynamoDB's:
all or nothing, condition failures reported per item, one operation per item."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from switchboard.bootstrap import Container


@pytest.fixture
def put(services: Container) -> Any:
    table = services.settings.TABLE_NAME

    def make(pk: str, **attrs: Any) -> dict[str, Any]:
        item = {"PK": {"S": pk}, "SK": {"S": "T"}, **attrs}
        return {"Put": {"TableName": table, "Item": item}}

    return make


def get(services: Container, pk: str) -> Any:
    return (
        services.client("dynamodb")
        .get_item(TableName=services.settings.TABLE_NAME, Key={"PK": {"S": pk}, "SK": {"S": "T"}})
        .get("Item")
    )


def test_a_failed_condition_cancels_every_write(services: Container, put: Any) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    services.client("dynamodb").transact_write_items(TransactItems=[put(b, n={"N": "1"})])
    second = put(b, n={"N": "2"})
    second["Put"] |= {
        "ConditionExpression": "attribute_not_exists(PK)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    with pytest.raises(ClientError) as cancelled:
        services.client("dynamodb").transact_write_items(TransactItems=[put(a), second])
    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["n"] == {"N": "1"}
    assert get(services, a) is None and get(services, b)["n"] == {"N": "1"}


def test_a_write_failing_half_way_is_rolled_back(services: Container, put: Any) -> None:
    a, b = uuid.uuid4().hex, uuid.uuid4().hex
    table = services.settings.TABLE_NAME
    bad_update = {
        "Update": {
            "TableName": table,
            "Key": {"PK": {"S": b}, "SK": {"S": "T"}},
            "UpdateExpression": "ADD n :text",  # ADD of a string: refused when applied
            "ExpressionAttributeValues": {":text": {"S": "x"}},
        }
    }
    with pytest.raises(ClientError):
        services.client("dynamodb").transact_write_items(TransactItems=[put(a), bad_update])
    assert get(services, a) is None and get(services, b) is None


def test_two_operations_on_one_item_are_refused(services: Container, put: Any) -> None:
    a = uuid.uuid4().hex
    with pytest.raises(ClientError) as refused:
        services.client("dynamodb").transact_write_items(TransactItems=[put(a), put(a)])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert get(services, a) is None
