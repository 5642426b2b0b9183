"""Authenticating requests: a Bearer API key, or else the `token` session cookie.

Keys: one DynamoDB read by hash, then a short per-container cache. A cached key is re-judged
(revoked, expired, its owner disabled) on every request; a revocation made on this container
applies at once (`forget`), one made on another container within KEY_CACHE_SECONDS: the
revocation bound, which also bounds an admin's change of a user's role, plan, limits or
disabled state (copied onto each of their keys).
Sessions: verified by the SessionVerifier (services/sessions.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import anyio.to_thread

from switchboard.domain.clock import utcnow
from switchboard.domain.keys import ApiKey, hash_key
from switchboard.domain.principals import Principal
from switchboard.errors import AuthenticationError
from switchboard.services.memo import Memo

if TYPE_CHECKING:  # annotations only: the ports stay off the cold start
    from switchboard.ports import KeyRepository


class SessionVerifier(Protocol):
    async def principal(self, token: str) -> Principal:
        """The session's principal; AuthenticationError if the token is not valid."""
        ...


class Authenticator:
    def __init__(
        self,
        keys: KeyRepository,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        sessions: Callable[[], SessionVerifier] | None = None,
    ) -> None:
        self._keys = keys
        self._sessions = sessions
        self._now = now
        self._cache: Memo[ApiKey] = Memo(cache_seconds, clock=clock)
        self._pending: dict[str, asyncio.Future[ApiKey | None]] = {}

    async def authenticate(
        self, authorization: str | None, session_token: str | None = None
    ) -> Principal:
        """The Bearer key wins; without an Authorization header, the session cookie."""
        if session_token and not (authorization and authorization.strip()):
            if self._sessions is None:
                raise AuthenticationError("Sessions are not enabled here.")
            return await self._sessions().principal(session_token)  # built on first use
        secret = _bearer_token(authorization)
        key = await self._find(hash_key(secret))
        refusal = "unknown" if key is None else key.refusal(self._now())
        if refusal is not None:
            raise _refused(refusal, secret, key)
        assert key is not None
        return Principal(key.user_id, key.key_id, key.scopes, key.role, key.plan, key.limits)

    def forget(self, key_hash: str) -> None:
        """Drop a cached key (it was just revoked here): the next request reads it again."""
        self._cache.forget(key_hash)

    async def _find(self, key_hash: str) -> ApiKey | None:
        cached = self._cache.get(key_hash)
        if cached is not None:
            return cached
        pending = self._pending.get(key_hash)
        if pending is not None:  # one read per key, however many requests wait for it
            await asyncio.wait([pending])
            if not pending.cancelled():
                return pending.result()
        future: asyncio.Future[ApiKey | None] = asyncio.get_running_loop().create_future()
        self._pending[key_hash] = future
        try:
            key = await self._read(key_hash)
        except asyncio.CancelledError:
            future.cancel()  # waiters read for themselves
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # marked retrieved: each waiter re-raises it
            raise
        else:
            future.set_result(key)
        finally:
            self._pending.pop(key_hash, None)
        return key

    async def _read(self, key_hash: str) -> ApiKey | None:
        key = await anyio.to_thread.run_sync(self._keys.get_by_hash, key_hash)
        if key is None:
            self._cache.forget(key_hash)
            return None
        self._cache.put(key_hash, key)
        return key


def _bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.strip():
        raise AuthenticationError(
            "You didn't provide an API key. Send it in an Authorization header using "
            "Bearer auth (Authorization: Bearer YOUR_KEY).",
            code="missing_credentials",
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            "The Authorization header must have the form 'Bearer YOUR_KEY'.",
            code="invalid_api_key",
        )
    return token.strip()


def _refused(refusal: str, secret: str, key: ApiKey | None) -> AuthenticationError:
    """Unknown and revoked keys are told apart from no other; an expired key and a disabled
    account say so (the caller holds the secret: nothing is revealed to a guesser)."""
    if refusal == "expired" and key is not None and key.expires_at is not None:
        return AuthenticationError(
            f"This API key expired at {key.expires_at.isoformat()}; create a new one.",
            code="api_key_expired",
        )
    if refusal == "disabled":
        return account_disabled()
    return AuthenticationError(f"Incorrect API key provided: {_mask(secret)}.")


def account_disabled() -> AuthenticationError:
    """A key or session of a disabled account (services/sessions.py says it too)."""
    return AuthenticationError(
        "This account is disabled; ask an administrator to enable it.", code="account_disabled"
    )


def _mask(secret: str) -> str:
    if len(secret) <= 8:
        return "*" * len(secret)
    return f"{secret[:3]}***{secret[-4:]}"
