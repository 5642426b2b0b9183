"""ProviderRegistry: one provider instance per catalog provider, built on first use.

The OpenAI-compatible providers share one httpx.AsyncClient. A client belongs to the event
loop it was made on, so a new loop (Mangum runs one per invocation) gets a new client.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from switchboard.adapters.aws.secrets import UpstreamKeys
from switchboard.domain.catalog import ProviderConfig, ProviderKind
from switchboard.ports import Provider

if TYPE_CHECKING:
    import httpx


class ProviderRegistry:
    """`timeout` bounds every upstream read; `connect_timeout` the connection. httpx is
    imported when the first OpenAI-compatible provider is used, not before."""

    def __init__(self, keys: UpstreamKeys, *, timeout: float, connect_timeout: float) -> None:
        self._keys = keys
        self._timeout = (timeout, connect_timeout)
        self._providers: dict[str, Provider] = {}
        self._http_providers: dict[str, tuple[httpx.AsyncClient, Provider]] = {}
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def get(self, config: ProviderConfig) -> Provider:
        if config.kind is ProviderKind.OPENAI_COMPATIBLE:
            return self._openai_compatible(config)
        provider = self._providers.get(config.name)
        if provider is None:
            provider = self._providers[config.name] = self._build(config)
        return provider

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()
        self._http_providers.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _build(self, config: ProviderConfig) -> Provider:
        if config.kind is ProviderKind.LOCAL:
            from switchboard.adapters.providers.local import LocalProvider

            return LocalProvider(config)
        from switchboard.adapters.providers.bedrock import BedrockProvider, bedrock_client

        return BedrockProvider(config, lambda: bedrock_client(config))

    def _openai_compatible(self, config: ProviderConfig) -> Provider:
        from switchboard.adapters.providers.openai_compatible import OpenAICompatibleProvider

        client = self.http_client()
        cached = self._http_providers.get(config.name)
        if cached is None or cached[0] is not client:
            provider = OpenAICompatibleProvider(config, client, self._keys.get(config.api_key))
            cached = self._http_providers[config.name] = (client, provider)
        return cached[1]

    def http_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            import httpx

            from switchboard.adapters.providers.transport import ShardedTransport

            read, connect = self._timeout
            limits = httpx.Limits(max_connections=128, max_keepalive_connections=32)
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(read, connect=connect), transport=ShardedTransport(limits)
            )
            self._client_loop = loop
        return self._client
