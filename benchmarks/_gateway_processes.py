"""The processes behind benchmarks/gateway_overhead.py: the emulated AWS (moto_server), the
fake upstream and the gateway (benchmarks/_gateway.py), started and stopped together, and the
gateway's control port (AWS call counts, runtime facts, cProfile switch)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _common import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BENCH_KEY = "sb_bench_dev_key_0123456789abcdefghijklmnopqrstuvwxyz"
UPSTREAM_KEY_ENV = "SWITCHBOARD_BENCH_UPSTREAM_KEY"
GATEWAY_MODEL = "bench-chat"
UPSTREAM_MODEL = "fake-upstream-chat"
LATENCY_MS = 50

CATALOG_EXTRA = """
[providers.bench]
kind = "openai_compatible"
base_url = "{base_url}"
api_key = "{key_env}"

[[models]]
id = "{model}"
name = "Benchmark upstream chat"
type = "chat"
provider = "bench"
upstream_model = "{upstream_model}"
input_price_per_mtok = "1.00"
output_price_per_mtok = "2.00"
context_window = 16000
max_output_tokens = 2000
"""


@dataclass
class Processes:
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    tmp: tempfile.TemporaryDirectory[str] = field(default_factory=tempfile.TemporaryDirectory)
    gateway: subprocess.Popen[str] | None = None
    upstream: subprocess.Popen[str] | None = None
    gateway_url: str = ""
    control_url: str = ""
    upstream_url: str = ""
    gateway_output: list[str] = field(default_factory=list)

    def spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.tmp.cleanup()


def start_processes(args: argparse.Namespace) -> Processes:
    p = Processes()
    moto_port, upstream_port = free_port(), free_port()
    p.spawn([str(Path(PY).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)])
    p.upstream = p.spawn(_upstream_args(upstream_port))
    wait_for_port(moto_port)
    wait_for_port(upstream_port)
    p.upstream_url = f"http://127.0.0.1:{upstream_port}/v1"
    catalog = _write_catalog(Path(p.tmp.name) / "models.toml", p.upstream_url)
    p.gateway = p.spawn(_gateway_args(args, moto_port), _gateway_env(catalog))
    _wait_for_gateway(p)
    return p


def _upstream_args(port: int) -> list[str]:
    return [
        PY,
        "tests/support/fake_upstream.py",
        "--port",
        str(port),
        "--latency-ms",
        str(LATENCY_MS),
    ]


def _write_catalog(catalog: Path, upstream_url: str) -> Path:
    from switchboard.domain.catalog import DEFAULT_CATALOG

    catalog.write_text(
        DEFAULT_CATALOG.read_text(encoding="utf-8")
        + CATALOG_EXTRA.format(
            base_url=upstream_url,
            key_env=UPSTREAM_KEY_ENV,
            model=GATEWAY_MODEL,
            upstream_model=UPSTREAM_MODEL,
        ),
        encoding="utf-8",
    )
    return catalog


def _gateway_env(catalog: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "MODEL_CATALOG": str(catalog),
            UPSTREAM_KEY_ENV: "bench-upstream-key",
            "SWITCHBOARD_DEV_API_KEY": BENCH_KEY,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _gateway_args(args: argparse.Namespace, moto_port: int) -> list[str]:
    gw_args = [
        PY,
        "benchmarks/_gateway.py",
        "--aws-endpoint",
        f"http://127.0.0.1:{moto_port}",
        "--loop",
        args.loop,
        "--http",
        args.http,
    ]
    if args.profile:
        gw_args.append("--profile")
    return gw_args


def _wait_for_gateway(p: Processes) -> None:
    """Read the gateway's output until it prints both its URL and its control URL."""
    found: dict[str, str] = {}
    ready = threading.Event()
    threading.Thread(
        target=_drain, args=(p, found, ready), name="gateway-output", daemon=True
    ).start()
    if not ready.wait(90) or "gateway" not in found:
        p.stop()
        raise RuntimeError("the gateway did not start:\n" + "".join(p.gateway_output))
    p.gateway_url = found["gateway"] + "/v1"
    p.control_url = found["control"]


def _drain(p: Processes, found: dict[str, str], ready: threading.Event) -> None:
    assert p.gateway is not None and p.gateway.stdout is not None
    for line in p.gateway.stdout:
        if len(p.gateway_output) < 500:
            p.gateway_output.append(line)
        if line.startswith("BENCH_CONTROL "):
            found["control"] = line.split()[1]
        elif line.startswith("Switchboard is running at "):
            found["gateway"] = line.split()[-1]
        if "gateway" in found and "control" in found:
            ready.set()
    ready.set()


def control(p: Processes, path: str) -> dict[str, Any]:
    return httpx.get(p.control_url + path, timeout=15).json()  # type: ignore[no-any-return]


def call_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The AWS calls counted between two `/calls` readings, leaving out unchanged ones."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
