"""httpx's failures as ours, for every provider that calls an upstream over HTTP: a timeout
is a 504, anything else a 502; what happened goes to the log, never to the client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from switchboard.errors import UpstreamError, UpstreamTimeoutError

logger = logging.getLogger("switchboard.providers")


@asynccontextmanager
async def translated_http_errors(upstream: str) -> AsyncIterator[None]:
    """httpx errors never leave the block: timeouts become 504, the rest 502."""
    try:
        yield
    except httpx.TimeoutException as exc:
        logger.warning("upstream %s timed out: %r", upstream, exc)
        raise UpstreamTimeoutError("The upstream provider did not respond in time.") from exc
    except httpx.HTTPError as exc:
        logger.warning("upstream %s failed: %r", upstream, exc)
        raise UpstreamError("The upstream provider could not be reached.") from exc
