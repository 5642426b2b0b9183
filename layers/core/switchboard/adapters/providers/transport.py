"""ShardedTransport: requests spread round-robin over several httpx connection pools.

httpcore's pool re-examines all of its connections, several times over, whenever a request
starts or ends: work that grows with the square of the pool's size (encode/httpcore#928).
At 32 concurrent upstream streams that scan was the gateway's largest cost. k pools of n/k
connections each do about k times less of it, and behave the same otherwise.

Every pool verifies TLS with one SSL context, made once per process (as httpx makes it by
default: certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR): loading the CA bundle costs
about 23 ms of CPU, and a context per pool made each new client cost 190 ms (a cold start
paid it; so did every event loop that called an upstream).
"""

from __future__ import annotations

import functools
import itertools
import ssl

import httpx

SHARDS = 8


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """The process's context for verifying upstreams (SSLContext is safe to share)."""
    return httpx.create_ssl_context()


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, limits: httpx.Limits, shards: int = SHARDS) -> None:
        verify = ssl_context()
        self._transports = [
            httpx.AsyncHTTPTransport(limits=limits, verify=verify) for _ in range(shards)
        ]
        self._next = itertools.cycle(self._transports)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._transports:
            await transport.aclose()
