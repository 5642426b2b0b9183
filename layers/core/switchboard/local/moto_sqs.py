"""Repairs to moto's SQS: long polls that end when the emulator stops, and receives whose
cost does not grow with the queue.

1. Stopping. moto's ReceiveMessage with WaitTimeSeconds waits, in steps of a second, until a message
comes or the wait is over. The platform's queue consumers poll for 20 s at a time, as
Lambda's pollers do, so when the emulator stops a dozen receives may still be waiting, each
holding one of the emulator's worker threads for up to 20 s: uvicorn's graceful shutdown
would cut them off with errors, and the process could not exit before they end.

   `install` lets a waiting receive end early: once `stop_waiting()` is called (the
   emulator is stopping), every wait wakes and its receive answers what it has, no
   messages at most, as a wait that timed out does. Nothing changes until then.
   So does a receive whose client has hung up (`serving(gone)`: the emulator sets `gone`
   when the connection closes): a stopped platform's last polls would otherwise each take
   the next message of their queue into a process that is gone, where it stays invisible
   for the queue's visibility timeout (six minutes to sixteen, for the template's queues).
2. Receive cost. For each message it hands out, moto checks the queue's retention period
   by computing every attribute of the queue three times over, counting its visible,
   in-flight and delayed messages each time, with a datetime made per message: a batch's
   line queue holding 2,000 messages made each receive cost tens of milliseconds, a third
   of the emulator's CPU. The period is read directly, and a message's visibility and
   delay compare its times (epoch milliseconds, as moto keeps them) with `time.time()`.

Only the emulator changes: the application's SQS calls are the ones it makes in AWS.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

_STOPPING = threading.Event()
_WAITING: set[threading.Condition] = set()  # the queues' conditions being waited on now
_LOCK = threading.Lock()
_REQUEST = threading.local()  # .gone: set when the client of this thread's request hung up


class _Stopping(Exception):
    """Raised out of a wait to end its receive (caught in receive_message)."""


def install() -> None:
    """Patch moto's SQS (idempotent). Call before the server starts."""
    from moto.sqs.models import Message, Queue, SQSBackend

    if getattr(SQSBackend, "_switchboard_patched", False):
        return
    receive = SQSBackend.receive_message

    def wait_for_messages(self: Any, timeout: int) -> None:
        condition = self._messages_lock
        with _LOCK:
            _WAITING.add(condition)
        try:
            with condition:
                condition.wait_for(lambda: self.messages or _ending(), timeout=timeout)
        finally:
            with _LOCK:
                _WAITING.discard(condition)
        if _ending():
            raise _Stopping

    def receive_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return receive(self, *args, **kwargs)
        except _Stopping:
            return []  # a receive waits only while it has no message

    Queue.wait_for_messages = wait_for_messages  # type: ignore[method-assign]
    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
    Message.visible = property(_visible)  # type: ignore[method-assign, assignment]
    Message.delayed = property(_delayed)  # type: ignore[method-assign, assignment]
    SQSBackend._switchboard_patched = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def serving(gone: threading.Event) -> Iterator[None]:
    """While the calling thread serves a request: `gone` is set when its client hangs up,
    and a receive waiting for it then ends (within a second, moto's step) taking nothing."""
    _REQUEST.gone = gone
    try:
        yield
    finally:
        _REQUEST.gone = None


def _ending() -> bool:
    gone: threading.Event | None = getattr(_REQUEST, "gone", None)
    return _STOPPING.is_set() or (gone is not None and gone.is_set())


def _retained(self: Any, queue_name: str, message: Any) -> bool:
    """moto's check, without computing the queue's every attribute to find one."""
    period = int(self.get_queue(queue_name).message_retention_period)
    return bool(period + message.sent_timestamp / 1000 > time.time())


def _visible(message: Any) -> bool:
    return bool(time.time() * 1000 > message.visible_at)


def _delayed(message: Any) -> bool:
    return bool(time.time() * 1000 < message.delayed_until)


def stop_waiting() -> None:
    """End every receive waiting now or later (the emulator is stopping)."""
    _STOPPING.set()
    with _LOCK:
        waiting = list(_WAITING)
    for condition in waiting:
        with condition:
            condition.notify_all()
