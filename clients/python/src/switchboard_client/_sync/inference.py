"""Kits and the request queue."""

from __future__ import annotations

from collections.abc import Iterator

from switchboard_client import _calls as calls
from switchboard_client._config import drop_none
from switchboard_client._core import SyncCore
from switchboard_client._models import (
    Kit,
    KitRun,
    KitRunDelta,
    QueuedRequest,
    kit_event,
)

Strings = list[str]


class Kits:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def list(self) -> list[Kit]:
        return self._core.call(calls.list_kits())

    def run(
        self,
        kit: str,
        prompt: str,
        *,
        context: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        labels: Strings | None = None,
    ) -> KitRun:
        config = drop_none(max_tokens=max_tokens, temperature=temperature, labels=labels)
        return self._core.call(calls.run_kit(kit, prompt, context, config, stream=False))

    def stream(
        self,
        kit: str,
        prompt: str,
        *,
        context: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        labels: Strings | None = None,
    ) -> Iterator[KitRunDelta | KitRun]:
        """Pieces of the text (KitRunDelta), then the whole run (KitRun)."""
        config = drop_none(max_tokens=max_tokens, temperature=temperature, labels=labels)
        for event in self._core.events(calls.run_kit(kit, prompt, context, config, stream=True)):
            yield kit_event(event)


class Queue:
    def __init__(self, core: SyncCore) -> None:
        self._core = core

    def submit(
        self,
        model: str,
        prompt: str,
        *,
        system: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        idempotency_key: str | None = None,
    ) -> QueuedRequest:
        """Queued at once (202). One Idempotency-Key (yours, or made here) covers retries."""
        body = {"model": model, "prompt": prompt} | drop_none(
            system=system, max_tokens=max_tokens, temperature=temperature
        )
        return self._core.call(calls.submit(body, idempotency_key))

    def get(self, request_id: str) -> QueuedRequest:
        return self._core.call(calls.queued(request_id))

    def wait(self, request: str | QueuedRequest, *, max_wait: float | None = None) -> QueuedRequest:
        """Polls until `completed` or `failed` (its `error` says why)."""
        request_id = request if isinstance(request, str) else request.id
        done: QueuedRequest = self._core.wait(
            lambda: self.get(request_id), lambda r: r.done, max_wait, f"Request {request_id}"
        )
        return done
