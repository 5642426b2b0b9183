"""`switchboard serve`: the platform behind uvicorn, with a banner once it listens.

While `switchboard serve` runs, `.switchboard/local.json` in its directory says where its
emulated AWS and table are, so operator commands (`switchboard users ...`) run from the
same directory find them:

    {"aws_endpoint": "http://127.0.0.1:PORT", "table": "...", "region": "us-east-1",
     "key_prefix": "sb_", "plan_limits": "...", "pid": 1234}
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from switchboard.errors import NotFoundError
from switchboard.local.platform import DEV_EMAIL, Platform


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, platform: Platform) -> None:
        super().__init__(config)
        self.platform = platform

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            print(banner(f"http://{host}:{port}", self.platform), flush=True)


def serve(
    template: Path,
    *,
    host: str,
    port: int,
    endpoint: str | None = None,
    state_dir: Path | None = None,
) -> int:
    """Run until Ctrl-C; with `state_dir`, leave the state file there while running."""
    platform = Platform.start(template, endpoint=endpoint)
    state = write_state(state_dir, platform) if state_dir is not None else None
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the server: no GC pass walks it again
    config = uvicorn.Config(
        platform.app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    try:
        _Server(config, platform).run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; the shutdown was already clean
    finally:
        remove_state(state)
        platform.stop()
        print("Switchboard stopped.", flush=True)
    return 0


def banner(url: str, platform: Platform) -> str:
    key = platform.dev_key
    body: dict[str, Any] = {
        "model": "local-chat",
        "messages": [{"role": "user", "content": "Hello!"}],
    }
    return "\n".join(
        [
            f"Switchboard is running at {url}",
            f"  OpenAI base URL: {url}/v1",
            f"  API key:         {key}",
            f"  API docs:        {url}/docs (the OpenAPI document: {url}/openapi.json)",
            f"  Console:         {url}/console (sign in as {DEV_EMAIL},"
            f" password {platform.dev_password})",
            f"  Emulated AWS:    {platform.emulator.endpoint}"
            " (local data lives as long as this process)",
            "Try:",
            f"  curl {url}/v1/chat/completions -H 'Authorization: Bearer {key}' "
            f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'",
            "Press Ctrl-C to stop.",
        ]
    )


STATE_FILE = Path(".switchboard") / "local.json"
STATE_KEYS = ("aws_endpoint", "table", "region", "key_prefix", "plan_limits")


def write_state(directory: Path, platform: Platform) -> Path | None:
    """Record where this platform is; None (and a note) if another live server owns the file."""
    from switchboard.bootstrap import container

    path = directory / STATE_FILE
    owner = _owner(path)
    if owner not in (None, os.getpid()) and _alive(owner):
        print(
            f"note: {path} belongs to switchboard serve (pid {owner}); left as it is",
            file=sys.stderr,
        )
        return None
    settings = container().settings
    state = {
        "aws_endpoint": platform.emulator.endpoint,
        "table": settings.TABLE_NAME,
        "region": os.environ["AWS_DEFAULT_REGION"],
        "key_prefix": settings.API_KEY_PREFIX,
        "plan_limits": settings.PLAN_LIMITS,
        "pid": os.getpid(),
    }
    path.parent.mkdir(exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)  # readers never see half a file
    return path


def running_state(directory: Path) -> dict[str, Any]:
    """The state file of the `switchboard serve` running in `directory` (NotFoundError if
    there is none, or its server has gone)."""
    path = directory / STATE_FILE
    state = _load(path)
    if state is None or not all(isinstance(state.get(k), str) for k in STATE_KEYS):
        raise NotFoundError(
            f"No local platform found ({path} is missing or unreadable): start one here "
            "with `make serve`, or give --stack or --table."
        )
    pid = state.get("pid")
    if isinstance(pid, int) and _alive(pid) is False:
        raise NotFoundError(f"The local platform in {path} (pid {pid}) is no longer running.")
    return state


def remove_state(path: Path | None) -> None:
    """Remove the state file this process wrote (not one another server has written since)."""
    if path is not None and _owner(path) == os.getpid():
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool | None:
    """Whether the process runs; None where that cannot be told cheaply (Windows, where
    os.kill(pid, 0) would send Ctrl-C)."""
    if os.name == "nt":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _load(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _owner(path: Path) -> int | None:
    state = _load(path)
    pid = state.get("pid") if state else None
    return pid if isinstance(pid, int) else None
