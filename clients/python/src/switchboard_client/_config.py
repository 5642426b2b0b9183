"""Where the platform is and who calls it: an argument beats an environment variable, which
beats the default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from switchboard_client._errors import SwitchboardError
from switchboard_client._version import __version__

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DIRECT_UPLOAD_BYTES = 6_000_000  # the API's MAX_BODY_BYTES: larger files go to the bucket


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: str

    @classmethod
    def resolve(cls, api_key: str | None, base_url: str | None) -> Settings:
        key = api_key or os.environ.get("SWITCHBOARD_API_KEY")
        if not key:
            raise SwitchboardError(
                "No API key: pass api_key= or set SWITCHBOARD_API_KEY.", code="missing_api_key"
            )
        url = base_url or os.environ.get("SWITCHBOARD_BASE_URL") or DEFAULT_BASE_URL
        return cls(url.rstrip("/"), key)

    def client_options(self, timeout: float | httpx.Timeout | None) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": f"switchboard-client/{__version__}",
        }
        return {
            "base_url": self.base_url,
            "headers": headers,
            "timeout": timeout or DEFAULT_TIMEOUT,
        }


def day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value


def instant(value: datetime | date | str | None) -> str | None:
    """An ISO 8601 time for the monitor's `from` and `to` (a date: its midnight UTC)."""
    return value.isoformat() if isinstance(value, datetime | date) else value


def drop_none(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def read_rows(path: str | Path) -> tuple[str, bytes]:
    source = Path(path)
    return source.name, source.read_bytes()


def needs_upload(path: str | Path | None, via_upload: bool) -> bool:
    """Whether a batch file goes to the bucket (presigned) rather than through the API."""
    return path is not None and (via_upload or Path(path).stat().st_size > DIRECT_UPLOAD_BYTES)
