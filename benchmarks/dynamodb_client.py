"""CPU per DynamoDB call of the gateway's client: LeanDynamoClient against boto3's (botocore's)
client, side by side in one run, on the emulator in a process of its own (so the CPU measured
is the client's alone), each call made from the event loop through a thread as the
services make it (`blocking`).

    .venv/bin/python benchmarks/dynamodb_client.py            # about 30 s
    .venv/bin/python benchmarks/dynamodb_client.py --quick   # a smoke run

The calls are the request path's: the admission's UpdateItem (ADD with a condition), the
settlement's TransactWriteItems (an Update and a Put), a GetItem and a PutItem. Rounds
alternate the two clients; the figure is the median of the rounds' CPU per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import botocore.session

from switchboard.adapters.aws.dynamodb_client import LeanDynamoClient
from switchboard.local.emulator import Emulator

TABLE = "bench-client"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500, help="calls per operation per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 calls, one round")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.rounds = 100, 1
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    emulator = Emulator.start(port=0)
    os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint
    try:
        session = botocore.session.get_session()
        boto = session.create_client("dynamodb")
        _create_table(boto)
        clients = {"boto3": boto, "lean": LeanDynamoClient(boto, session.get_credentials())}
        results: dict[str, dict[str, list[float]]] = {name: {} for name in clients}
        for round_number in range(args.rounds):
            for name, client in clients.items():
                for operation, cpu in anyio.run(_round, client, args.calls).items():
                    results[name].setdefault(operation, []).append(cpu)
            print(f"round {round_number + 1} of {args.rounds} done", flush=True)
        _report(results, args)
    finally:
        emulator.stop()


def _create_table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                   {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                              {"AttributeName": "SK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip


def _operations(client: Any) -> dict[str, Callable[[int], Any]]:
    account = {"PK": {"S": "USER#bench"}, "SK": {"S": "ACCOUNT"}}

    def admit(n: int) -> Any:
        return client.update_item(
            TableName=TABLE, Key=account, ReturnValues="UPDATED_NEW",
            UpdateExpression="ADD balance :one, entries :one SET #h = :hold",
            ConditionExpression="attribute_not_exists(balance) OR balance >= :zero",
            ExpressionAttributeNames={"#h": f"hold_{n % 64}"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"},
                                       ":hold": {"M": {"amount": {"N": "1200"}}}},
        )  # fmt: skip

    def settle(n: int) -> Any:
        entry = {"PK": {"S": "USER#bench"}, "SK": {"S": f"LEDGER#{uuid.uuid4().hex}"},
                 "amount": {"N": "-900"}, "kind": {"S": "settle"}}  # fmt: skip
        return client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": account,
                        "UpdateExpression": "ADD balance :back REMOVE #h",
                        "ExpressionAttributeNames": {"#h": f"hold_{n % 64}"},
                        "ExpressionAttributeValues": {":back": {"N": "300"}}}},
            {"Put": {"TableName": TABLE, "Item": entry,
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ])  # fmt: skip

    def get(_: int) -> Any:
        return client.get_item(TableName=TABLE, Key=account, ConsistentRead=True)

    def put(n: int) -> Any:
        item = {"PK": {"S": f"KEY#{n % 256}"}, "SK": {"S": "KEY"}, "user": {"S": "bench"}}
        return client.put_item(TableName=TABLE, Item=item)

    return {"UpdateItem": admit, "TransactWriteItems": settle, "GetItem": get, "PutItem": put}


async def _round(client: Any, calls: int) -> dict[str, float]:
    """CPU milliseconds per call of each operation, through a thread as the services call."""
    cpu = {}
    for operation, call in _operations(client).items():
        for n in range(20):  # warm: connections, caches
            await anyio.to_thread.run_sync(call, n)
        started = time.process_time()
        for n in range(calls):
            await anyio.to_thread.run_sync(call, n)
        cpu[operation] = (time.process_time() - started) * 1000 / calls
    return cpu


def _report(results: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> None:
    print(f"\nCPU per call in this process (median of {args.rounds} rounds of {args.calls} "
          "calls each, thread hop included)\n")  # fmt: skip
    print(f"{'operation':<20} {'boto3':>9} {'lean':>9} {'lean / boto3':>13}")
    for operation in results["boto3"]:
        boto = statistics.median(results["boto3"][operation])
        lean = statistics.median(results["lean"][operation])
        print(f"{operation:<20} {boto:>7.3f}ms {lean:>7.3f}ms {lean / boto:>12.2f}x")


if __name__ == "__main__":
    main()
