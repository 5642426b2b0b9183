"""The processes behind the gateway benchmarks: the emulated AWS (_emulator.py), the fake
upstream and the gateway (benchmarks/_gateway.py), started and stopped together, and the
gateway's control port (AWS call counts, runtime facts, cProfile switch).

gateway_overhead.py starts all three with `start_processes`; metering_overhead.py starts one
upstream (`spawn_upstream`) and, beside it, several gateways (`start_gateway`), each with its
own emulator and each running the code a `GatewayCode` names (this tree's, or a revision's)."""

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
# The same upstream answering at once (a second fake upstream process), for the runs that
# measure the platform alone: metering_overhead.py's requests in a row.
INSTANT_MODEL = "bench-chat-instant"

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
INSTANT_EXTRA = """
[providers.bench-instant]
kind = "openai_compatible"
base_url = "{base_url}"
api_key = "{key_env}"

[[models]]
id = "{model}"
name = "Benchmark upstream chat, no latency"
type = "chat"
provider = "bench-instant"
upstream_model = "{upstream_model}"
input_price_per_mtok = "1.00"
output_price_per_mtok = "2.00"
context_window = 16000
max_output_tokens = 2000
"""


@dataclass(frozen=True)
class GatewayCode:
    """The switchboard a gateway runs: by default this tree's (the editable install, the
    repository's template.yaml and catalog); else a copy of another revision's layers/core,
    put first on the gateway's PYTHONPATH, with that revision's template and catalog."""

    label: str = "working tree"
    core: Path | None = None  # a layers/core directory, put first on PYTHONPATH
    template: Path | None = None  # None: _gateway.py's default, ./template.yaml
    env: tuple[tuple[str, str], ...] = ()  # settings of its own (TRACING=false ...)

    @property
    def catalog(self) -> Path:
        if self.core is None:
            from switchboard.domain.catalog import DEFAULT_CATALOG

            return DEFAULT_CATALOG
        return self.core / "switchboard" / "catalog" / "models.toml"


@dataclass
class Processes:
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    tmp: tempfile.TemporaryDirectory[str] = field(default_factory=tempfile.TemporaryDirectory)
    gateway: subprocess.Popen[str] | None = None
    upstream: subprocess.Popen[str] | None = None
    gateway_url: str = ""
    control_url: str = ""
    upstream_url: str = ""
    instant_upstream_url: str = ""  # set: the catalog routes INSTANT_MODEL there
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
    """The emulated AWS, the fake upstream and a gateway running this tree's code."""
    p = Processes()
    upstream_port = spawn_upstream(p)
    start_gateway(p, args)
    wait_for_port(upstream_port)
    return p


def spawn_upstream(p: Processes) -> int:
    """Start the fake upstream in `p` (p.upstream, p.upstream_url); its port, to wait for."""
    upstream_port = free_port()
    p.upstream = p.spawn(_upstream_args(upstream_port))
    p.upstream_url = f"http://127.0.0.1:{upstream_port}/v1"
    return upstream_port


def spawn_instant_upstream(p: Processes) -> int:
    """Start a fake upstream without latency in `p` (p.instant_upstream_url); its port."""
    port = free_port()
    p.spawn(_upstream_args(port, latency_ms=0))
    p.instant_upstream_url = f"http://127.0.0.1:{port}/v1"
    return port


def start_gateway(
    p: Processes,
    args: argparse.Namespace,
    code: GatewayCode = GatewayCode(),
    *,
    embedded: bool = False,
) -> None:
    """Start an emulated AWS and, on it, a gateway running `code` in `p`; return once the
    gateway listens. `p.upstream_url` must be set: the catalog routes the bench model there.
    `embedded`: no emulator of our own: the gateway's serve() starts one as `make serve`
    does with that revision (in its own process at 665bf63, in a child process now)."""
    catalog = _write_catalog(
        Path(p.tmp.name) / "models.toml", p.upstream_url, code.catalog, p.instant_upstream_url
    )
    env = _gateway_env(catalog) | dict(code.env)
    if code.core is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(code.core)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
    moto_port = None
    if not embedded:  # the revision's own emulator, in a process of its own
        moto_port = free_port()
        p.spawn([PY, "benchmarks/_emulator.py", "--port", str(moto_port)], env)
        wait_for_port(moto_port)
    gw_args = _gateway_args(args, moto_port)
    if code.template is not None:
        gw_args += ["--template", str(code.template)]
    p.gateway = p.spawn(gw_args, env)
    _wait_for_gateway(p)


def _upstream_args(port: int, latency_ms: int = LATENCY_MS) -> list[str]:
    return [
        PY,
        "-m",  # run from ROOT as a module: it imports tests.support.fake_replies
        "tests.support.fake_upstream",
        "--port",
        str(port),
        "--latency-ms",
        str(latency_ms),
    ]


def _write_catalog(catalog: Path, upstream_url: str, base: Path, instant_url: str = "") -> Path:
    text = base.read_text(encoding="utf-8") + CATALOG_EXTRA.format(
        base_url=upstream_url,
        key_env=UPSTREAM_KEY_ENV,
        model=GATEWAY_MODEL,
        upstream_model=UPSTREAM_MODEL,
    )
    if instant_url:
        text += INSTANT_EXTRA.format(
            base_url=instant_url,
            key_env=UPSTREAM_KEY_ENV,
            model=INSTANT_MODEL,
            upstream_model=UPSTREAM_MODEL,
        )
    catalog.write_text(text, encoding="utf-8")
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


def _gateway_args(args: argparse.Namespace, moto_port: int | None) -> list[str]:
    gw_args = [
        PY,
        "benchmarks/_gateway.py",
        *(["--aws-endpoint", f"http://127.0.0.1:{moto_port}"] if moto_port else []),
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
