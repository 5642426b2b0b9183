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
