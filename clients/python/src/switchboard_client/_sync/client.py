"""`Switchboard`, the synchronous client: one namespace per feature, each method one `Call`
(see _calls.py) run by the shared core."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from switchboard_client._config import Settings
from switchboard_client._core import SyncCore
from switchboard_client._prompts import PromptCache
from switchboard_client._retry import RetryPolicy
from switchboard_client._sync.account import Apps, Keys, Traces, Usage
from switchboard_client._sync.inference import Kits, Queue
from switchboard_client._sync.jobs import Batches, Experiments, Videos
from switchboard_client._sync.prompts import Prompts
from switchboard_client._waiting import PollSchedule


class Switchboard:
    """The platform's own APIs (what the OpenAI SDKs do not cover), synchronously.

    `api_key` and `base_url` default to SWITCHBOARD_API_KEY and SWITCHBOARD_BASE_URL (else
    http://127.0.0.1:8000). `transport` is what both of its httpx clients send through;
    `http_client` replaces the API's client (its base URL and headers are then yours to
    set); `sleep` is what waits between retries and between polls."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        poll: PollSchedule | None = None,
        prompt_ttl: float = 60.0,
        prompt_background_refresh: bool = True,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        storage_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        settings = Settings.resolve(api_key, base_url)
        options = settings.client_options(timeout)
        http = http_client or httpx.Client(**options, transport=transport)
        storage = storage_client or httpx.Client(timeout=http.timeout, transport=transport)
        self._core = SyncCore(http, storage, retry or RetryPolicy(), poll or PollSchedule(), sleep)
        self.kits = Kits(self._core)
        self.queue = Queue(self._core)
        self.batches = Batches(self._core)
        self.videos = Videos(self._core)
        self.prompts = Prompts(self._core, PromptCache(prompt_ttl), prompt_background_refresh)
        self.traces = Traces(self._core)
        self.experiments = Experiments(self._core)
        self.keys = Keys(self._core)
        self.apps = Apps(self._core)
        self.usage = Usage(self._core)

    def close(self) -> None:
        self.prompts.join_refreshes()
        self._core.http.close()
        self._core.storage.close()

    def __enter__(self) -> Switchboard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
