"""ProviderRegistry's HTTP clients: one per event loop, kept while the loop lives (a Lambda
container's loop, or one of the local platform's: its server's, each consumer thread's)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from switchboard.adapters.providers.registry import ProviderRegistry
from switchboard.adapters.providers.transport import ShardedTransport, ssl_context


class NoKeys:
    def get(self, name: str | None) -> str | None:
        return None


def registry() -> ProviderRegistry:
    return ProviderRegistry(NoKeys(), timeout=5, connect_timeout=1)  # type: ignore[arg-type]


def client_on(loop: asyncio.AbstractEventLoop, providers: ProviderRegistry) -> httpx.AsyncClient:
    async def current() -> httpx.AsyncClient:
        return providers.http_client()

    return loop.run_until_complete(current())


def test_each_event_loop_has_its_own_client_and_keeps_it() -> None:
    providers = registry()
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        client = client_on(first, providers)
        assert client_on(first, providers) is client
        assert client_on(second, providers) is not client
        assert client_on(first, providers) is client  # another loop's use replaced nothing
    finally:
        for loop in (first, second):
            loop.run_until_complete(providers.aclose())
            loop.close()


def test_a_closed_loops_client_is_let_go_when_a_new_loop_asks() -> None:
    providers = registry()
    gone = asyncio.new_event_loop()
    client_on(gone, providers)
    gone.run_until_complete(providers.aclose())  # closes that loop's client
    client_on(gone, providers)
    gone.close()
    fresh = asyncio.new_event_loop()
    try:
        client_on(fresh, providers)
        assert list(providers._loops) == [fresh]
    finally:
        fresh.run_until_complete(providers.aclose())
        fresh.close()


def test_every_pool_verifies_with_one_ssl_context() -> None:
    """Loading the CA bundle costs about 20 ms of CPU: once per process, not per pool."""
    transport = ShardedTransport(httpx.Limits(max_connections=8))
    contexts: set[Any] = {
        id(pool._ssl_context)  # httpcore's pool keeps the context it was given
        for pool in (shard._pool for shard in transport._transports)
    }
    assert contexts == {id(ssl_context())}
