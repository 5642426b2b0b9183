"""Starts `switchboard serve` as a user would (a subprocess), and reads its banner."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SWITCHBOARD = Path(sys.executable).parent / "switchboard"


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    base_url: str
    api_key: str
    aws_endpoint: str
    output: list[str] = field(default_factory=list)

    def stop(self, timeout: float = 15) -> int:
        """Ctrl-C, as a user stops it; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(root: Path, env: dict[str, str], *args: str, timeout: float = 60) -> RunningServer:
    process = subprocess.Popen(
        [str(SWITCHBOARD), "serve", "--port", "0", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_pump, args=(process, lines, ready), daemon=True).start()
    if not ready.wait(timeout):
        process.kill()
        raise RuntimeError("switchboard serve did not start:\n" + "".join(lines))
    text = "".join(lines)
    url = re.search(r"Switchboard is running at (\S+)", text)
    key = re.search(r"API key:\s+(\S+)", text)
    aws = re.search(r"Emulated AWS:\s+(\S+)", text)
    assert url and key and aws, text
    server = RunningServer(process, url.group(1), key.group(1), aws.group(1), lines)
    _wait_healthy(server.base_url)
    return server


def _pump(process: subprocess.Popen[str], lines: list[str], ready: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            ready.set()
    ready.set()


def _wait_healthy(base_url: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{base_url}/health never answered 200")


def server_env(original: dict[str, str], **extra: str) -> dict[str, str]:
    """A user's environment: no emulator settings and no dev key, unless `extra` gives them."""
    skipped = ("AWS_", "SWITCHBOARD_DEV_API_KEY")
    env = {k: v for k, v in original.items() if not k.startswith(skipped)}
    return env | extra | {"PYTHONUNBUFFERED": "1", "PATH": os.environ.get("PATH", "")}


def start_run_sh(
    root: Path, env: dict[str, str], function: str = "inference", **popen: object
) -> tuple[subprocess.Popen[str], int]:
    """functions/<function>/run.sh (inference, kits) as the Lambda Web Adapter starts it: on a
    free port (its AWS_LWA_PORT), with Lambda's PATH (`python` is the venv's) and `env` over
    this process's environment; `popen` chooses where its output goes."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    venv_bin = Path(sys.executable).parent
    full_env = dict(os.environ) | env | {
        "AWS_LWA_PORT": str(port), "PATH": f"{venv_bin}:{os.environ['PATH']}"
    }  # fmt: skip
    command = [str(root / "functions" / function / "run.sh")]
    return subprocess.Popen(command, env=full_env, text=True, **popen), port  # type: ignore[call-overload]
