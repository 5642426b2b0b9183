"""One settings object. Each field is named after the environment key that template.yaml sets.

Read once per container, on first use (see bootstrap.py), never at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Settings:
    """The container's configuration: a field per environment key of template.yaml."""

    TABLE_NAME: str = ""
    STAGE: str = "local"
    API_KEY_PREFIX: str = "sb_"
    KEY_CACHE_SECONDS: float = 30.0
    MAX_KEYS_PER_USER: int = 20  # usable keys a user may hold (409 key_limit_reached beyond)
    MAX_APPS_PER_USER: int = 20  # apps a user may own (409 app_limit_reached beyond)
    MODEL_CATALOG: str = ""  # a path to a catalog file; empty means the one built into the core
    KIT_CATALOG: str = ""  # a path to a kit and skill catalog; empty: the core's catalog/kits.toml
    UPSTREAM_KEYS_SECRET: str = ""  # Secrets Manager secret holding {"<provider>": "<api key>"}
    UPSTREAM_TIMEOUT_SECONDS: float = 120.0
    UPSTREAM_CONNECT_TIMEOUT_SECONDS: float = 5.0
    MAX_BODY_BYTES: int = 6_000_000
    SESSION_SECRET: str = ""  # Secrets Manager secret holding the session-signing key
    SESSION_TTL_SECONDS: int = 3600
    SESSION_COOKIE_SECURE: bool = True  # False only on the local platform over plain http
    CORS_ALLOWED_ORIGINS: str = ""  # comma-separated origins browsers may call from (api/cors.py)
    PLAN_LIMITS: str = ""  # JSON {"plan": {"requests_per_minute": n, "tokens_per_minute": n}}
    RESERVATION_TTL_SECONDS: int = 900  # after this, the sweeper releases a reservation
    DATA_BUCKET: str = ""  # files, batch inputs and outputs, long answers
    VECTOR_BUCKET_ARN: str = ""  # the S3 Vectors bucket holding the vector stores' indexes
    VECTOR_FILES_QUEUE_URL: str = ""  # files added to vector stores, for ingestion
    VECTOR_STORE_EMBEDDING_MODEL: str = "titan-embed-text-v2"  # a new store's, unless it names one
    AI_REQUESTS_QUEUE_URL: str = ""  # queued requests (/v1/ai)
    BATCH_LINES_QUEUE_URL: str = ""  # batch lines, a few a message
    BATCH_STEPS_QUEUE_URL: str = ""  # the batch workflow's task-token steps
    ASYNC_REQUEST_TTL_SECONDS: int = 86400  # a queued request is kept (and pollable) this long
    BATCH_COMPLETION_WINDOW_SECONDS: int = 86400  # a batch unfinished after this expires
    BATCH_STATE_MACHINE_ARN: str = ""  # the state machine that drives each batch
    BATCH_POLL_SECONDS: int = 60  # how often a batch's state machine looks at its lines
    DATA_RETENTION_DAYS: int = 30  # files (and their bytes) are kept this long
    VIDEO_STEPS_QUEUE_URL: str = ""  # the video workflow's task-token steps
    VIDEO_RENDER_QUEUE_URL: str = ""  # renders of the local video model (VideoRenderFunction)
    VIDEO_STATE_MACHINE_ARN: str = ""  # the state machine that drives each video job
    VIDEO_POLL_SECONDS: int = 10  # a job's first wait before asking its provider, then backs off
    VIDEO_ABANDON_SECONDS: int = 600  # a running job nobody polls this long expires
    VIDEO_RETENTION_DAYS: int = 7  # rendered videos are kept this long (a bucket rule)
    TOOL_MAX_ROUNDS: int = 5  # model calls in one chat completion's built-in tool loop
    TOOL_BUDGET_SECONDS: float = 60.0  # the tool loop's time budget, all rounds together
    URL_FETCH_ALLOWLIST: str = ""  # comma-separated hosts, addresses, networks url_fetch may reach
    SUMMARIZER_MODEL: str = "local-chat"  # the model the summarizer tool calls
    SEARCH_BASE_URL: str = ""  # the web_search tool's API endpoint; empty: no web search
    SEARCH_API_STYLE: str = "searxng"  # "searxng" or "brave"
    SEARCH_API_KEY: str = ""  # the search key's name in the upstream keys (empty: no key)
    SEARCH_PRICE_USD: str = "0"  # charged per search, its own ledger entry
    WEATHER_BASE_URL: str = ""  # Open-Meteo-shaped forecast endpoint; empty: no weather
    WEATHER_GEOCODING_URL: str = ""  # Open-Meteo-shaped geocoding endpoint
    TRACING: bool = True  # False: no traces at all (to measure what they cost; not a parameter)
    TRACE_CAPTURE: str = "on"  # "off": traces keep no input or output (docs/traces.md)
    TRACE_RETENTION_DAYS: int = 30  # trace items (TTL) and bodies (a bucket rule) kept this long
    TRACE_INLINE_BYTES: int = 32_768  # a captured body larger than this goes to S3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the environment; unset or empty keys keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = env.get(field.name, "")
            if raw == "":
                continue
            values[field.name] = _convert(field.name, raw, field.type)
        return cls(**values)

    def as_environment(self) -> dict[str, str]:
        """These settings as the environment variables they came from (for a process that
        runs a function as Lambda would, e.g. run.sh under the Web Adapter)."""
        values = {}
        for field in fields(self):
            value = getattr(self, field.name)
            values[field.name] = str(value).lower() if isinstance(value, bool) else str(value)
        return values


def _convert(name: str, raw: str, kind: object) -> object:
    if kind in (bool, "bool"):
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValueError(f"environment variable {name}={raw!r} is not true or false")
        return lowered in ("true", "1")
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from exc
    return raw
