"""ProviderRegistry: one provider instance per catalog provider, built on first use.

The OpenAI-compatible providers share one httpx.AsyncClient per event loop: a client belongs
to the loop it was made on. In Lambda a container has one loop, kept across invocations; the
local platform runs several at once in one process (the server's, and one per queue consumer
thread, each a container of its own), so each loop gets its own client and keeps it; the
clients of loops that have closed are let go when another loop asks for its first.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from switchboard.adapters.aws.secrets import UpstreamKeys
from switchboard.domain.catalog import ProviderConfig, ProviderKind

if TYPE_CHECKING:
    import httpx

    from switchboard.ports import Provider


class ProviderRegistry:
    """`timeout` bounds every upstream read; `connect_timeout` the connection. httpx is
    imported when the first OpenAI-compatible provider is used, not before."""

    def __init__(self, keys: UpstreamKeys, *, timeout: float, connect_timeout: float) -> None:
        self._keys = keys
        self._timeout = (timeout, connect_timeout)
        self._providers: dict[str, Provider] = {}
        # Per event loop: its client, and the OpenAI-compatible providers made on it.
        self._loops: dict[asyncio.AbstractEventLoop, _LoopClients] = {}
        self._lock = threading.Lock()

    def get(self, config: ProviderConfig) -> Provider:
        if config.kind is ProviderKind.OPENAI_COMPATIBLE:
            return self._openai_compatible(config)
        provider = self._providers.get(config.name)
        if provider is None:
            provider = self._providers[config.name] = self._build(config)
        return provider

    async def aclose(self) -> None:
        """Close the providers, and the running loop's client (a client is closed on its own
        loop; the others go with theirs)."""
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()
        with self._lock:
            clients = self._loops.pop(asyncio.get_running_loop(), None)
        if clients is not None:
            await clients.client.aclose()

    def _build(self, config: ProviderConfig) -> Provider:
        if config.kind is ProviderKind.LOCAL:
            from switchboard.adapters.providers.local import LocalProvider

            return LocalProvider(config)
        from switchboard.adapters.providers.bedrock import BedrockProvider, bedrock_client

        return BedrockProvider(config, lambda: bedrock_client(config))

    def _openai_compatible(self, config: ProviderConfig) -> Provider:
        from switchboard.adapters.providers.openai_compatible import OpenAICompatibleProvider

        clients = self._loop_clients()
        provider = clients.providers.get(config.name)
        if provider is None:
            key = self._keys.get(config.api_key)
            provider = OpenAICompatibleProvider(config, clients.client, key)
            clients.providers[config.name] = provider
        return provider

    def http_client(self) -> httpx.AsyncClient:
        """The running event loop's client."""
        return self._loop_clients().client

    def _loop_clients(self) -> _LoopClients:
        loop = asyncio.get_running_loop()
        with self._lock:
            clients = self._loops.get(loop)
            if clients is None:
                for closed in [other for other in self._loops if other.is_closed()]:
                    del self._loops[closed]
                clients = self._loops[loop] = _LoopClients(self._new_client())
        return clients

    def _new_client(self) -> httpx.AsyncClient:
        import httpx

        from switchboard.adapters.providers.transport import ShardedTransport

        read, connect = self._timeout
        limits = httpx.Limits(max_connections=128, max_keepalive_connections=32)
        return httpx.AsyncClient(
            timeout=httpx.Timeout(read, connect=connect), transport=ShardedTransport(limits)
        )


class _LoopClients:
    """One event loop's HTTP client and the providers that use it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.providers: dict[str, Provider] = {}
