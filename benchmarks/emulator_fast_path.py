"""CPU per request of the emulator's DynamoDB fast path (local/dynamodb_fast_path.py), in
this process: `answer` on the two requests every metered chat request makes, as captured
from one (benchmarks/data/emulator_fast_path.json): the admission's UpdateItem and the
settlement's TransactWriteItems of 7 items that settles its hold (an account Update, two
ledger Puts, a usage Update, a trace span Put, a trace summary Put, a stats Update).

    .venv/bin/python benchmarks/emulator_fast_path.py            # about 10 s
    .venv/bin/python benchmarks/emulator_fast_path.py --quick   # a smoke run

Each round writes for fresh users and traces (each request's conditions hold, as they did
when captured) against a table shaped as template.yaml's (PK/SK, GSI1, GSI2); the figure is
the median of the rounds' CPU µs per request (process time), and the part of it spent in
the garbage collector (whose passes over every item the table holds land wherever the
allocations happen to cross its thresholds). Every request must take the fast path.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from switchboard.local import dynamodb_fast_path

DATA = Path(__file__).parent / "data" / "emulator_fast_path.json"
ACCOUNT, REGION, TABLE = "123456789012", "us-east-1", "switchboard-local-Table"
USER, TRACE = "usr_dev", "tr_c509ffc5a7e6beaa24922e112c740b70"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="of each kind per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="50 requests, one round")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 50, 1
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION)  # fmt: skip
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in this process, not a server's
    captured = json.loads(DATA.read_text())
    with mock_aws():
        _create_table()
        gc.callbacks.append(_count_gc)
        results: dict[str, list[tuple[float, float]]] = {"UpdateItem": [], "TransactWriteItems": []}
        for round_number in range(args.rounds):
            for operation, micros in _round(captured, round_number, args.requests).items():
                results[operation].append(micros)
        _report(results, args)


_GC = {"seconds": 0.0, "started": 0.0}  # CPU in the garbage collector, from gc.callbacks


def _count_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _GC["started"] = time.process_time()
    else:
        _GC["seconds"] += time.process_time() - _GC["started"]


def _create_table() -> None:
    names = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in names],
        KeySchema=_schema("PK", "SK"),
        GlobalSecondaryIndexes=[
            {"IndexName": "GSI1", "KeySchema": _schema("GSI1PK", "GSI1SK"),
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "GSI2", "KeySchema": _schema("GSI2PK", "GSI2SK"),
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
    )  # fmt: skip


def _schema(hash_key: str, range_key: str) -> list[dict[str, str]]:
    return [{"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"}]  # fmt: skip


def _round(
    captured: dict[str, Any], round_number: int, requests: int
) -> dict[str, tuple[float, float]]:
    """µs per request of each kind, and of that in the garbage collector, for `requests`
    fresh users."""
    users = [f"usr_bench_{round_number}_{n}" for n in range(requests)]
    for user in users:  # the account as the admission found it (not timed)
        _answer("PutItem", {"TableName": TABLE, "Item": _account(user)})
    timed: dict[str, tuple[float, float]] = {}
    for operation in ("UpdateItem", "TransactWriteItems"):
        text = json.dumps(captured[operation])
        bodies = [
            json.loads(text.replace(USER, user).replace(TRACE, f"tr_{round_number}_{n:028d}"))
            for n, user in enumerate(users)
        ]
        gc.collect()
        start, collecting = time.process_time(), _GC["seconds"]
        for body in bodies:
            _answer(operation, body)
        spent = time.process_time() - start, _GC["seconds"] - collecting
        timed[operation] = (spent[0] / requests * 1e6, spent[1] / requests * 1e6)
    return timed


def _account(user: str) -> dict[str, Any]:
    return {"PK": {"S": f"USER#{user}"}, "SK": {"S": "ACCOUNT"},
            "balance_micro_usd": {"N": "1000000"}, "entry_count": {"N": "0"},
            "open_holds": {"N": "0"}, "rate_window": {"S": "202611301509"},
            "rate_requests": {"N": "0"}, "rate_tokens": {"N": "0"}}  # fmt: skip


def _answer(operation: str, body: dict[str, Any]) -> None:
    if dynamodb_fast_path.answer(operation, body, ACCOUNT, REGION) is None:
        raise SystemExit(f"{operation} was handed to moto: {dict(dynamodb_fast_path.STATS)}")


def _report(results: dict[str, list[tuple[float, float]]], args: argparse.Namespace) -> None:
    print(f"emulator fast path, in-process: {args.requests} requests of each kind, "
          f"{args.rounds} round(s); median of the rounds, CPU")  # fmt: skip
    print(f"{'request':<34}{'µs/request':>12}{'of which GC':>14}")
    for operation, rounds in results.items():
        label = operation + (" (7 items)" if operation == "TransactWriteItems" else "")
        total = statistics.median(micros for micros, _ in rounds)
        collecting = statistics.median(micros for _, micros in rounds)
        print(f"{label:<34}{total:>12.1f}{collecting:>14.1f}")


if __name__ == "__main__":
    main()
