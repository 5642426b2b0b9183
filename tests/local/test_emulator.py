"""The emulator's own process (local/emulator.py, local/emulator_server.py): it serves moto's
services and DynamoDB's fast path, stops with its platform, and never outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from switchboard.local.emulator import Emulator

STARTER = """
import sys
from switchboard.local.emulator import Emulator
emulator = Emulator.start()
print(emulator.pid, emulator.endpoint, flush=True)
sys.stdin.read()
"""


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":  # exited, not yet reaped
                return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_emulator_ends_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", STARTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid, endpoint = parent.stdout.readline().split()
    with urllib.request.urlopen(f"{endpoint}/_switchboard/emulator", timeout=5) as answer:
        assert "dynamodb" in json.loads(answer.read())
    parent.send_signal(signal.SIGKILL)  # no clean-up code runs
    parent.wait()
    assert _gone(int(child_pid))


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_stop_ends_the_emulator_and_ctrl_c_does_not() -> None:
    emulator = Emulator.start()
    pid = emulator.pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)  # what a terminal's Ctrl-C sends to the whole group
    time.sleep(0.3)
    with urllib.request.urlopen(f"{emulator.endpoint}/_switchboard/emulator", timeout=5):
        pass  # still serving: the platform stops it once it has finished its requests
    emulator.stop()
    assert _gone(pid)
    assert emulator.pid is None


POLLER = """
import sys, boto3
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
print("polling", flush=True)
sqs.receive_message(QueueUrl=sys.argv[2], WaitTimeSeconds=20)
"""


def test_a_long_poll_whose_client_is_gone_takes_no_message() -> None:
    """A stopped platform's consumers leave their long polls waiting in the emulator: none
    may take a message into a process that is gone (where it would stay invisible for the
    queue's visibility timeout), and the emulator still stops at once."""
    emulator = Emulator.start()
    try:
        sqs = boto3.client(
            "sqs", endpoint_url=emulator.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        url = sqs.create_queue(QueueName="polled", Attributes={"VisibilityTimeout": "600"})
        pollers = [
            subprocess.Popen(
                [sys.executable, "-c", POLLER, emulator.endpoint, url["QueueUrl"]],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for poller in pollers:
            assert poller.stdout is not None and poller.stdout.readline() == "polling\n"
        time.sleep(0.5)  # their receives are waiting in the emulator
        for poller in pollers:
            poller.kill()
            poller.wait()
            poller.stdout.close()  # type: ignore[union-attr]
        time.sleep(1.5)  # a waiting receive looks at its client every second
        sqs.send_message(QueueUrl=url["QueueUrl"], MessageBody="for the living")
        got = sqs.receive_message(QueueUrl=url["QueueUrl"], WaitTimeSeconds=2)
        assert [m["Body"] for m in got.get("Messages", [])] == ["for the living"]
    finally:
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 5
