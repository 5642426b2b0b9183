"""Emulated AWS for the local platform and tests: moto's server on loopback.

Application code never learns about it: boto3 finds it through AWS_ENDPOINT_URL, which
`configure_environment` sets together with fake credentials and a region.
moto's DynamoDB is repaired before it starts (local/moto_dynamodb.py): atomic conditional
writes and transactions, as DynamoDB's, and transactions that cost the same however large
the table.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from dataclasses import dataclass
from typing import Any

from switchboard.local import moto_dynamodb

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"


@dataclass
class Emulator:
    """A running moto server (owned: started here) or one found at AWS_ENDPOINT_URL."""

    endpoint: str
    _server: Any = None

    @classmethod
    def start(cls, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_dynamodb.install()
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        bound_host, bound_port = server.get_host_and_port()
        emulator = cls(f"http://{bound_host}:{bound_port}", server)
        os.environ["MOTO_PORT"] = str(bound_port)  # Step Functions tasks call back here
        emulator.configure_moto()
        return emulator

    @classmethod
    def attach(cls, endpoint: str) -> Emulator:
        return cls(endpoint.rstrip("/"))

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

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
