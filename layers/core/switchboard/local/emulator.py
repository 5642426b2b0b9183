"""Emulated AWS for the local platform and tests: moto, in a process of its own on loopback.

Application code never learns about it: boto3 finds it through AWS_ENDPOINT_URL, which
`configure_environment` sets together with fake credentials and a region.

`Emulator.start()` runs local/emulator_server.py as a child process (moto's services behind
uvicorn, DynamoDB's everyday requests on a fast path, moto's DynamoDB repaired as in
local/moto_dynamodb.py: atomic conditional writes and transactions, as DynamoDB's) and
`stop()` ends it; the child also ends by itself when this process goes, however it goes.
It has its own process, so its CPU is not the platform's: the platform's GIL serves the
gateway alone. `Emulator.attach(url)` uses one that is already running instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
START_TIMEOUT_S = 60.0
READY = "EMULATOR_READY"  # the child's first line: READY http://HOST:PORT


@dataclass
class Emulator:
    """A running emulator: owned (started here, `_process` set) or attached to."""

    endpoint: str
    _process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        process = subprocess.Popen(
            [sys.executable, "-m", "switchboard.local.emulator_server",
             "--host", host, "--port", str(port)],
            stdin=subprocess.PIPE,  # closed by stop(), or by the system when we die
            stdout=subprocess.PIPE,
            env=_child_environment(),
        )  # fmt: skip
        endpoint = _ready_line(process)
        emulator = cls(endpoint, process)
        emulator.configure_moto()
        return emulator

    @classmethod
    def attach(cls, endpoint: str) -> Emulator:
        return cls(endpoint.rstrip("/"))

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def configure_moto(self) -> None:
        """Run Step Functions executions for real, without Docker (FACTS.md)."""
        body = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/config",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def configure_environment(self) -> None:
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("AWS_REGION", LOCAL_REGION)
        os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])

    def stats(self) -> dict[str, Any]:
        """How many DynamoDB requests took the fast path, and why others went to moto."""
        with urllib.request.urlopen(f"{self.endpoint}/_switchboard/emulator", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def stop(self, timeout: float = 10) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the child's signal to finish
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _child_environment() -> dict[str, str]:
    """This environment, with the package importable in the child as it is here (a
    `PYTHONPATH` checkout as well as the installed package)."""
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _ready_line(process: subprocess.Popen[bytes]) -> str:
    """The endpoint the child announces; its exit or silence is an error."""
    found: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: found.append(stdout.readline().decode()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    line = found[0].strip() if found else ""
    stdout.close()
    if not line.startswith(READY + " "):
        process.kill()
        process.wait()
        raise RuntimeError(f"the emulator did not start (exit code {process.returncode}): {line!r}")
    return line.split(" ", 1)[1]
