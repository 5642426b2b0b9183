"""ShardedTransport: requests spread round-robin over several httpx connection pools.

httpcore's pool re-examines all of its connections, several times over, whenever a request
starts or ends: work that grows with the square of the pool's size (encode/httpcore#928).
At 32 concurrent upstream streams that scan was the gateway's largest cost. k pools of n/k
connections each do about k times less of it, and behave the same otherwise.
"""

from __future__ import annotations

import itertools

import httpx

SHARDS = 8


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, limits: httpx.Limits, shards: int = SHARDS) -> None:
        self._transports = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(shards)]
        self._next = itertools.cycle(self._transports)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._transports:
            await transport.aclose()
