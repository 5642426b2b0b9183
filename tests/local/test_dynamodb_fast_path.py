"""The emulator's DynamoDB fast path (local/dynamodb_fast_path.py) answers as moto does.

One sequence of requests runs twice in one moto, in this process: in one region through
moto's own application only, in another as the emulator serves them (the fast path, and
moto for what the fast path hands back). After every request the answers and the tables
must be the same; and the requests the gateway makes on every call must take the fast path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.models import dynamodb_backends
from werkzeug.test import EnvironBuilder

from switchboard.local import dynamodb_fast_path, dynamodb_items, dynamodb_queries, moto_dynamodb
from switchboard.local.emulator import LOCAL_ACCOUNT
from switchboard.local.template import Template
from tests.conftest import TEMPLATE

REFERENCE, FAST = "us-east-1", "eu-west-1"
TABLE = "fast-path-table"
KEY = {"PK": {"S": "USER#u1"}, "SK": {"S": "ACCOUNT"}}


class Moto:
    """moto's WSGI application in this process, called as the emulator calls it."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        moto_dynamodb.install()
        self.app = DomainDispatcherApplication(create_backend_app)

    def call(self, region: str, operation: str, body: dict[str, Any]) -> tuple[int, Any]:
        credential = f"AKIAFAST/20260101/{region}/dynamodb/aws4_request"
        environ = EnvironBuilder(
            method="POST",
            path="/",
            data=json.dumps(body),
            headers=[
                ("X-Amz-Target", f"DynamoDB_20120810.{operation}"),
                ("Content-Type", "application/x-amz-json-1.0"),
                ("Authorization", f"AWS4-HMAC-SHA256 Credential={credential}, Signature=0"),
            ],
        ).get_environ()
        status: list[str] = []
        dynamodb_queries.ENABLED[0] = region != REFERENCE  # the reference is moto's own query
        try:
            data = b"".join(self.app(environ, lambda s, h, e=None: status.append(s)))
        finally:
            dynamodb_queries.ENABLED[0] = True
        return int(status[0].split()[0]), json.loads(data or b"{}")

    def served(self, operation: str, body: dict[str, Any]) -> tuple[int, Any, bool]:
        """As the emulator serves it: (status, answer, whether the fast path answered)."""
        with moto_dynamodb.LOCK:
            fast = dynamodb_fast_path.answer(operation, body, LOCAL_ACCOUNT, FAST)
        if fast is not None:
            return 200, json.loads(json.dumps(fast)), True
        return (*self.call(FAST, operation, body), False)

    def items(self, region: str) -> list[Any]:
        scanned = self.call(region, "Scan", {"TableName": TABLE})[1]["Items"]
        return sorted(scanned, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    table = next(iter(Template.load(TEMPLATE).of_type("AWS::DynamoDB::Table").values()))
    props = table["Properties"]
    definition = {k: props[k] for k in ("AttributeDefinitions", "KeySchema") if k in props}
    definition["GlobalSecondaryIndexes"] = props.get("GlobalSecondaryIndexes", [])
    created = Moto()
    for region in (REFERENCE, FAST):
        status, answer = created.call(
            region,
            "CreateTable",
            definition | {"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST"},
        )
        assert status == 200, answer
    yield created


def put(sk: str, **attrs: Any) -> dict[str, Any]:
    return {"TableName": TABLE, "Item": {"PK": KEY["PK"], "SK": {"S": sk}, **attrs}}


def update(expression: str, names: dict[str, str], values: dict[str, Any], **more: Any) -> Any:
    body = {"TableName": TABLE, "Key": KEY, "UpdateExpression": expression, **more}
    if names:
        body["ExpressionAttributeNames"] = names
    if values:
        body["ExpressionAttributeValues"] = values
    return body


def N(number: object) -> dict[str, str]:
    return {"N": str(number)}


def S(text: str) -> dict[str, str]:
    return {"S": text}


HOLD = {"M": {"amount": N(135), "caller": S("u1"), "app": {"NULL": True}}}

# (operation, body, True when the fast path must answer it)
STEPS: list[tuple[str, dict[str, Any], bool]] = [
    ("GetItem", {"TableName": TABLE, "Key": KEY}, True),
    # An admission as the gateway makes it: a new account item, if_not_exists, ADD, a map.
    (
        "UpdateItem",
        update(
            "ADD #b :m, #c :one SET #h = :hold, #g = if_not_exists(#g, :shard), #w = :w",
            {"#b": "balance", "#c": "count", "#h": "hold_1", "#g": "GSI2PK", "#w": "window"},
            {":m": N(-135), ":one": N(1), ":hold": HOLD, ":shard": S("HOLDS#01"), ":w": S("w1")},
            ConditionExpression="attribute_not_exists(#h)",
            ReturnValues="UPDATED_NEW",
        ),
        True,
    ),
    (
        "UpdateItem",
        update(
            "ADD #b :m SET #w = :w2",
            {"#b": "balance", "#w": "window", "#x": "count"},
            {":m": N("2.50"), ":w2": S("w2"), ":lim": N(10), ":old": S("w1")},
            ConditionExpression="(#x < :lim) AND (#w = :old OR attribute_not_exists(#w))",
            ReturnValues="ALL_NEW",
        ),
        True,
    ),
    (
        "UpdateItem",
        update(
            "SET #c = #c + :one, #d = #b - :one",
            {"#c": "count", "#d": "d", "#b": "balance"},
            {":one": N(1)},
            ReturnValues="UPDATED_OLD",
        ),
        True,
    ),
    (
        "UpdateItem",
        update("ADD #s :set", {"#s": "tags"}, {":set": {"SS": ["a", "b"]}}, ReturnValues="ALL_OLD"),
        True,
    ),
    ("UpdateItem", update("ADD #s :set", {"#s": "tags"}, {":set": {"SS": ["b", "c"]}}), True),
    (
        "UpdateItem",
        update("DELETE #s :set", {"#s": "tags"}, {":set": {"SS": ["a", "b", "c"]}}),
        True,
    ),
    ("UpdateItem", update("REMOVE #h, #d", {"#h": "hold_1", "#d": "d"}, {}), True),
    # Conditions evaluated by moto's own classes.
    (
        "UpdateItem",
        update(
            "SET #t = :t",
            {"#t": "t", "#b": "balance", "#w": "window"},
            {":t": S("x"), ":lo": N(-1000), ":hi": N(0), ":p": S("w"), ":a": S("w2"), ":z": S("z")},
            ConditionExpression="#b BETWEEN :lo AND :hi AND begins_with(#w, :p) AND #w IN (:a, :z) "
            "AND NOT contains(#w, :z) AND size(#w) > :hi",
        ),
        True,
    ),
    # Handed to moto: its errors, its condition failures (with ALL_OLD), its other shapes.
    ("UpdateItem", update("SET #h = :v", {"#h": "hold_2", "#u": "unused"}, {":v": N(1)}), False),
    ("UpdateItem", update("ADD #w :one", {"#w": "window"}, {":one": N(1)}), False),
    ("UpdateItem", update("SET #k = :v", {"#k": "SK"}, {":v": S("other")}), False),
    (
        "UpdateItem",
        update("SET #a = #missing + :one", {"#a": "a", "#missing": "missing"}, {":one": N(1)}),
        False,
    ),
    ("UpdateItem", update("SET #g = :empty", {"#g": "GSI2PK"}, {":empty": S("")}), False),
    ("UpdateItem", update("SET nested.inner = :v", {}, {":v": N(1)}), False),
    (
        "UpdateItem",
        update(
            "SET #b = :v",
            {"#b": "balance"},
            {":v": N(0), ":one": N(1)},
            ConditionExpression="#b > :one",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
        False,
    ),
    (
        "PutItem",
        put("LEDGER#1", kind=S("reserve"), amount=N(-135))
        | {"ConditionExpression": "attribute_not_exists(PK)"},
        True,
    ),
    (
        "PutItem",
        put("LEDGER#1", kind=S("again")) | {"ConditionExpression": "attribute_not_exists(PK)"},
        False,
    ),
    ("PutItem", put("LEDGER#1", kind=S("replaced")) | {"ReturnValues": "ALL_OLD"}, True),
    ("PutItem", put("LEDGER#2", GSI1PK=N(5)), False),  # an index key of the wrong type
    ("PutItem", put("LEDGER#3", amount={"N": "abc"}), False),
    # moto's other refusals of a new item, as local/dynamodb_items.py checks them.
    ("PutItem", put("LEDGER#3", amount={"N": " 1"}), False),
    ("PutItem", put("LEDGER#3", amount={"N": "1e999"}), False),
    ("PutItem", put("LEDGER#3", amount={"N": 1}), False),
    ("PutItem", put("LEDGER#3", GSI1PK=S("")), False),
    ("PutItem", put("LEDGER#3", GSI2SK={"NULL": True}), False),
    ("PutItem", put("LEDGER#3", GSI1PK=S("x" * 2049)), False),
    ("PutItem", put("LEDGER#3", GSI1PK=S("é" * 1025)), False),
    ("PutItem", put("LEDGER#3", GSI1SK=S("x" * 1025)), False),
    ("PutItem", put("LEDGER#3", tags={"M": {"a": {"NS": []}}}), False),
    ("PutItem", put("LEDGER#3", tags={"SS": []}), False),
    ("PutItem", put("LEDGER#3", note={"S": 5}), False),
    ("PutItem", put("LEDGER#3", flag={"NULL": False}), False),
    (
        "PutItem",
        put(
            "LEDGER#3",
            note=S(""),
            GSI1PK=S("x" * 2048),
            GSI1SK=S("é" * 512),
            meta={"M": {}},
            N=S("an attribute named N"),
            big=N("-1.5E+10"),
        ),
        True,
    ),
    ("GetItem", {"TableName": TABLE, "Key": {"PK": KEY["PK"], "SK": S("LEDGER#1")}}, True),
    # Projections of top-level names (moto's parser and projection), and what moto refuses.
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ProjectionExpression": "balance"}, True),
    (
        "GetItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "ProjectionExpression": "SK, #b, nothing",
            "ExpressionAttributeNames": {"#b": "balance"},
            "ConsistentRead": True,
        },
        True,
    ),
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ProjectionExpression": "nothing"}, True),
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ProjectionExpression": "window.inner"}, False),
    (
        "GetItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "ProjectionExpression": "balance",
            "ExpressionAttributeNames": {"#u": "unused"},
        },
        False,
    ),
    # A batch line worker's read: its batch and its line (absent here) at once.
    (
        "BatchGetItem",
        {
            "RequestItems": {
                TABLE: {
                    "Keys": [
                        KEY,
                        {"PK": KEY["PK"], "SK": S("LEDGER#1")},
                        {"PK": KEY["PK"], "SK": S("none")},
                    ],
                    "ConsistentRead": True,
                    "ProjectionExpression": "SK, #k, balance",
                    "ExpressionAttributeNames": {"#k": "kind"},
                }
            }
        },
        True,
    ),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [KEY]}}}, True),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [KEY, KEY]}}}, False),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [{"PK": KEY["PK"]}]}}}, False),
    # A settlement as the gateway makes it, then one whose condition fails (moto reports
    # every item's reason), then two operations on one item (refused).
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {
                    "Update": update(
                        "ADD #b :back REMOVE #t",
                        {"#b": "balance", "#t": "t", "#w": "window"},
                        {":back": N(105), ":w": S("w2")},
                        ConditionExpression="attribute_exists(#t) AND #w = :w",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                },
                {
                    "Put": put("LEDGER#4", kind=S("settle"))
                    | {"ConditionExpression": "attribute_not_exists(PK)"}
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"PK": KEY["PK"], "SK": S("LEDGER#1")},
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"PK": KEY["PK"], "SK": S("LEDGER#gone")}}},
            ],
            "ClientRequestToken": "t1",
        },
        True,
    ),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Update": update("ADD #b :back", {"#b": "balance"}, {":back": N(1)})},
                {
                    "Put": put("LEDGER#4", kind=S("settle"))
                    | {
                        "ConditionExpression": "attribute_not_exists(PK)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        },
        False,
    ),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Update": update("ADD #b :back", {"#b": "balance"}, {":back": N(1)})},
                {"Update": update("ADD #c :back", {"#c": "count"}, {":back": N(1)})},
            ]
        },
        False,
    ),
    (
        "DeleteItem",
        {
            "TableName": TABLE,
            "Key": {"PK": KEY["PK"], "SK": S("LEDGER#4")},
            "ReturnValues": "ALL_OLD",
        },
        True,
    ),
    (
        "DeleteItem",
        {
            "TableName": TABLE,
            "Key": {"PK": KEY["PK"], "SK": S("LEDGER#1")},
            "ConditionExpression": "kind = :k",
            "ExpressionAttributeValues": {":k": S("no")},
        },
        False,
    ),
    # Queries (moto's, on the candidates local/dynamodb_queries.py hands it): the holds
    # index as the sweeper reads it, a partition, an index partition nobody is in.
    ("UpdateItem", update("SET #s = :due", {"#s": "GSI2SK"}, {":due": S("0005")}), True),
    ("PutItem", put("LEDGER#5", GSI2PK=S("HOLDS#01"), GSI2SK=S("0001")), True),
    ("PutItem", put("LEDGER#6", GSI2PK=S("HOLDS#01"), GSI2SK=S("0009")), True),
    ("PutItem", put("LEDGER#7", GSI2PK=S("HOLDS#02"), GSI2SK=S("0002")), True),
    ("PutItem", put("LEDGER#8", blob={"B": "aGVsbG8="}, blobs={"BS": ["YQ==", "Yg=="]}), True),
    (
        "PutItem",
        put(
            "LEDGER#9",
            deep={
                "M": {
                    "in": {"M": {"n": N(1), "é": S("ü")}},
                    "l": {"L": [N(2), S("x")]},
                    "b": {"BOOL": True},
                    "z": {"NULL": True},
                    "s": {"SS": ["a", "b"]},
                }
            },
            nums={"NS": ["1", "2.50"]},
        ),
        True,
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :shard AND GSI2SK < :now",
            "ExpressionAttributeValues": {":shard": S("HOLDS#01"), ":now": S("0006")},
            "Limit": 100,
        },
        False,
    ),
    ("DeleteItem", {"TableName": TABLE, "Key": {"PK": KEY["PK"], "SK": S("LEDGER#5")}}, True),
    ("UpdateItem", update("REMOVE #p", {"#p": "GSI2PK"}, {}), True),
    (
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :shard AND GSI2SK < :now",
            "ExpressionAttributeValues": {":shard": S("HOLDS#01"), ":now": S("9")},
        },
        False,
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :l)",
            "ExpressionAttributeValues": {":pk": KEY["PK"], ":l": S("LEDGER#")},
            "ScanIndexForward": False,
            "Limit": 2,
        },
        False,
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :o",
            "ExpressionAttributeValues": {":o": S("nobody")},
        },
        False,
    ),
]


@pytest.mark.parametrize("upto", [len(STEPS)])
def test_the_fast_path_answers_and_writes_as_moto_does(moto: Moto, upto: int) -> None:
    for number, (operation, body, fast_expected) in enumerate(STEPS[:upto]):
        expected = moto.call(REFERENCE, operation, body)
        status, answer, fast = moto.served(operation, body)
        where = f"step {number}: {operation} {json.dumps(body)[:160]}"
        assert (status, _plain(answer)) == (expected[0], _plain(expected[1])), where
        assert moto.items(FAST) == moto.items(REFERENCE), where
        assert fast == fast_expected, where
    for item in _fast_items():  # the sizes kept on items written here are moto's own
        assert dynamodb_items.size(item) == item.size()
        for value in item.attrs.values():
            assert dynamodb_items.value_size(value) == value.size()


def test_a_table_given_a_new_index_is_checked_by_its_new_keys(moto: Moto) -> None:
    """The facts kept on a table (local/dynamodb_items.py) follow moto's UpdateTable."""
    name = "fast-path-indexed-later"
    item = {"TableName": name, "Item": {"PK": S("a"), "IX": N(1)}}
    index = {
        "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"},
                                 {"AttributeName": "IX", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "IX", "KeySchema": [{"AttributeName": "IX", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
    }  # fmt: skip
    for region in (REFERENCE, FAST):
        moto.call(region, "CreateTable", {
            "TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
        })  # fmt: skip
    assert moto.served("PutItem", item)[2]
    for region in (REFERENCE, FAST):
        assert moto.call(region, "UpdateTable", {"TableName": name, **index})[0] == 200
    expected = moto.call(REFERENCE, "PutItem", item)
    status, answer, fast = moto.served("PutItem", item)  # an index key of the wrong type now
    assert (status, _plain(answer), fast) == (expected[0], _plain(expected[1]), False)


def _fast_items() -> list[Any]:
    table = dynamodb_backends[LOCAL_ACCOUNT][FAST].tables[TABLE]
    return [item for group in table.items.values() for item in group.values()]


def _plain(answer: Any) -> Any:
    """An answer without what the fast path leaves out: capacity reports nobody asked for."""
    if isinstance(answer, dict):
        return {
            k: v
            for k, v in answer.items()
            if k not in ("ConsumedCapacity", "ItemCollectionMetrics") and k != "__type_prefix"
        }
    return answer
