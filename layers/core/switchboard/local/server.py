"""`switchboard serve`: the platform behind uvicorn, with a banner once it listens."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import uvicorn

from switchboard.local.platform import Platform


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, platform: Platform) -> None:
        super().__init__(config)
        self.platform = platform

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            print(banner(f"http://{host}:{port}", self.platform), flush=True)


def serve(template: Path, *, host: str, port: int, endpoint: str | None = None) -> int:
    platform = Platform.start(template, endpoint=endpoint)
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
            f"  Emulated AWS:    {platform.emulator.endpoint}"
            " (local data lives as long as this process)",
            "Try:",
            f"  curl {url}/v1/chat/completions -H 'Authorization: Bearer {key}' "
            f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'",
            "Press Ctrl-C to stop.",
        ]
    )
