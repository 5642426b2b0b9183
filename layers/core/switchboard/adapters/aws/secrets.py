"""Secrets Manager values, fetched once per container, on first use.

UpstreamKeys: an upstream API key by name: an environment variable of that name, else that
field of the JSON secret named by UPSTREAM_KEYS_SECRET.
SecretValue: one secret's whole string (SESSION_SECRET, the session-signing key).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.errors import ServiceUnavailableError

logger = logging.getLogger("switchboard.secrets")


class UpstreamKeys:
    def __init__(
        self,
        secret_id: str,
        client_factory: Callable[[], Any],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._secret_id = secret_id
        self._client_factory = client_factory
        self._environ = os.environ if environ is None else environ
        self._values: dict[str, str] | None = None
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        """The key called `name`, or None when none is set (an upstream may need none)."""
        if not name:
            return None
        if self._environ.get(name):
            return self._environ[name]
        return self._secret().get(name) or None

    def _secret(self) -> dict[str, str]:
        with self._lock:
            if self._values is None:
                self._values = self._fetch() if self._secret_id else {}
            return self._values

    def _fetch(self) -> dict[str, str]:
        try:
            response = self._client_factory().get_secret_value(SecretId=self._secret_id)
            values = json.loads(response.get("SecretString") or "{}")
        except (ClientError, BotoCoreError, ValueError) as exc:
            logger.error("cannot read the upstream keys secret: %s", exc)
            raise ServiceUnavailableError("Upstream credentials are unavailable.") from exc
        if not isinstance(values, dict):
            logger.error("the upstream keys secret is not a JSON object")
            return {}
        return {str(k): str(v) for k, v in values.items()}


class SecretValue:
    """One secret's whole string (the session-signing key), fetched once per container."""

    def __init__(self, secret_id: str, client_factory: Callable[[], Any]) -> None:
        self._secret_id = secret_id
        self._client_factory = client_factory
        self._value: str | None = None
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._fetch()
            return self._value

    def _fetch(self) -> str:
        if not self._secret_id:
            raise ServiceUnavailableError("Sessions are not configured (no SESSION_SECRET).")
        try:
            value = self._client_factory().get_secret_value(SecretId=self._secret_id)
        except (ClientError, BotoCoreError) as exc:
            logger.error("cannot read the session secret: %s", exc)
            raise ServiceUnavailableError("Sessions are unavailable; try again.") from exc
        secret = str(value.get("SecretString") or "")
        if len(secret) < 32:
            logger.error("the session secret is shorter than 32 characters")
            raise ServiceUnavailableError("Sessions are unavailable; try again.")
        return secret
