"""The one request core under both clients: a `Call` says what to send and how to read the
answer; `SyncCore` and `AsyncCore` send it with the same retry decisions (`_next_delay`),
over an injected httpx client (the transport is the test seam)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, TypeVar

import httpx

from switchboard_client._errors import (
    APIConnectionError,
    APITimeoutError,
    SwitchboardError,
    error_from_response,
    error_without_status,
)
from switchboard_client._retry import RetryPolicy, is_safe, retry_after
from switchboard_client._waiting import PollSchedule, wait_async, wait_sync

T = TypeVar("T")
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API request. `idempotent`: a 5xx (or a broken connection) may be retried though
    the method is POST, because asking twice has the effect of asking once."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    idempotent: bool = False

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        params = {k: v for k, v in (self.params or {}).items() if v is not None}
        return http.build_request(
            self.method,
            self.path,
            params=params,
            json=self.json,
            content=self.content,
            files=self.files,
            data=self.data,
            headers=self.headers,
        )


def _next_delay(
    policy: RetryPolicy,
    call: Call[Any],
    attempt: int,
    response: httpx.Response | None,
    error: httpx.TransportError | None,
) -> float:
    """Seconds to wait before asking again, or raises what the caller should see."""
    if response is not None:
        safe = is_safe(call.method, call.idempotent)
        if policy.should_retry(attempt, response.status_code, safe):
            return policy.delay(attempt, response)
        raise error_from_response(response, retry_after(response))
    assert error is not None
    unsent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
    if policy.should_retry(attempt, None, unsent or is_safe(call.method, call.idempotent)):
        return policy.delay(attempt)
    raise _connection_error(error) from error


def _connection_error(error: httpx.TransportError) -> APIConnectionError:
    url = error.request.url if _has_request(error) else "the platform"
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"No answer from {url} in time ({type(error).__name__}).")
    return APIConnectionError(f"The request to {url} failed: {error or type(error).__name__}.")


def _has_request(error: httpx.TransportError) -> bool:
    try:
        error.request  # noqa: B018 (raises when the error has no request)
    except RuntimeError:
        return False
    return True


def _parsed(call: Call[T], response: httpx.Response) -> T:
    """The answer as the call reads it; an answer of another shape is a SwitchboardError."""
    try:
        return call.parse(response.json() if response.content else None)
    except (ValueError, KeyError, TypeError) as exc:
        raise SwitchboardError(
            f"{call.method} {call.path} answered {response.status_code} with a body this client "
            f"cannot read ({type(exc).__name__}: {exc}).",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from exc


def _ok(response: httpx.Response) -> bool:
    return response.is_success or response.status_code in REDIRECTS


def parse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Server-sent events' JSON payloads until `[DONE]`; an error frame raises."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            return
        yield _event(data)


def _event(data: str) -> dict[str, Any]:
    event = json.loads(data)
    if isinstance(event, dict) and isinstance(event.get("error"), dict):
        raise error_without_status(event["error"])
    if not isinstance(event, dict):
        raise SwitchboardError(f"An event that is not a JSON object: {data[:200]}")
    return event


def _storage_refusal(response: httpx.Response) -> SwitchboardError:
    """S3's XML error as one line."""
    found = re.search(r"<Message>(.*?)</Message>", response.text, flags=re.DOTALL)
    detail = " ".join(found.group(1).split()) if found else response.reason_phrase
    return SwitchboardError(
        f"The storage upload was refused ({response.status_code}): {detail}",
        status=response.status_code,
    )


class SyncCore:
    def __init__(
        self,
        http: httpx.Client,
        storage: httpx.Client,
        retry: RetryPolicy,
        poll: PollSchedule,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.storage = storage  # signed URLs carry their own signature, never our key
        self.retry = retry
        self.poll = poll
        self.sleep = sleep

    def wait(
        self,
        fetch: Callable[[], T],
        done: Callable[[T], bool],
        max_wait: float | None,
        what: str,
        on_update: Callable[[T], None] | None = None,
    ) -> T:
        """Polls `fetch` until `done`, on the client's schedule (`max_wait` its own)."""
        schedule = self.poll.within(max_wait)
        return wait_sync(fetch, done, schedule, self.sleep, what, on_update)

    def call(self, call: Call[T]) -> T:
        return _parsed(call, self.send(call))

    def send(self, call: Call[Any], *, stream: bool = False) -> httpx.Response:
        """The successful (2xx or redirect) answer, after retries; unread if `stream`."""
        attempt = 0
        while True:
            attempt += 1
            response, error = None, None
            try:
                response = self.http.send(call.request(self.http), stream=stream)
            except httpx.TransportError as exc:
                error = exc
            if response is not None and _ok(response):
                return response
            if response is not None and stream:
                response.read()
                response.close()
            self.sleep(_next_delay(self.retry, call, attempt, response, error))

    def events(self, call: Call[Any]) -> Iterator[dict[str, Any]]:
        response = self.send(call, stream=True)
        try:
            yield from parse_events(response.iter_lines())
        finally:
            response.close()

    def download(self, call: Call[Any]) -> Iterator[bytes]:
        """A content route's bytes, following its redirect to a signed URL without our key."""
        response = self.send(call, stream=True)
        if response.status_code in REDIRECTS:
            response.close()
            response = self._fetch_signed(response.headers["location"])
        try:
            yield from response.iter_bytes()
        finally:
            response.close()

    def post_signed(self, post: dict[str, Any], name: str, data: BinaryIO) -> None:
        """A file to the bucket as a presigned POST says: its fields, then the file."""
        try:
            response = self.storage.post(
                post["url"], data=post["fields"], files={"file": (name, data)}
            )
        except httpx.TransportError as exc:
            raise _connection_error(exc) from exc
        if not response.is_success:
            raise _storage_refusal(response)

    def _fetch_signed(self, url: str) -> httpx.Response:
        try:
            response = self.storage.send(self.storage.build_request("GET", url), stream=True)
        except httpx.TransportError as exc:
            raise _connection_error(exc) from exc
        if not response.is_success:
            response.read()
            raise error_from_response(response, None)
        return response


class AsyncCore:
    def __init__(
        self,
        http: httpx.AsyncClient,
        storage: httpx.AsyncClient,
        retry: RetryPolicy,
        poll: PollSchedule,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.storage = storage
        self.retry = retry
        self.poll = poll
        self.sleep = sleep

    async def wait(
        self,
        fetch: Callable[[], Awaitable[T]],
        done: Callable[[T], bool],
        max_wait: float | None,
        what: str,
        on_update: Callable[[T], None] | None = None,
    ) -> T:
        schedule = self.poll.within(max_wait)
        return await wait_async(fetch, done, schedule, self.sleep, what, on_update)

    async def call(self, call: Call[T]) -> T:
        return _parsed(call, await self.send(call))

    async def send(self, call: Call[Any], *, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            response, error = None, None
            try:
                response = await self.http.send(call.request(self.http), stream=stream)
            except httpx.TransportError as exc:
                error = exc
            if response is not None and _ok(response):
                return response
            if response is not None and stream:
                await response.aread()
                await response.aclose()
            await self.sleep(_next_delay(self.retry, call, attempt, response, error))

    async def events(self, call: Call[Any]) -> AsyncIterator[dict[str, Any]]:
        response = await self.send(call, stream=True)
        try:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    return
                yield _event(data)
        finally:
            await response.aclose()

    async def download(self, call: Call[Any]) -> AsyncIterator[bytes]:
        response = await self.send(call, stream=True)
        if response.status_code in REDIRECTS:
            await response.aclose()
            response = await self._fetch_signed(response.headers["location"])
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        finally:
            await response.aclose()

    async def post_signed(self, post: dict[str, Any], name: str, data: BinaryIO) -> None:
        try:
            files = {"file": (name, data)}
            response = await self.storage.post(post["url"], data=post["fields"], files=files)
        except httpx.TransportError as exc:
            raise _connection_error(exc) from exc
        if not response.is_success:
            raise _storage_refusal(response)

    async def _fetch_signed(self, url: str) -> httpx.Response:
        try:
            request = self.storage.build_request("GET", url)
            response = await self.storage.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _connection_error(exc) from exc
        if not response.is_success:
            await response.aread()
            raise error_from_response(response, None)
        return response
