"""Queue consumers, written one way: the handler of an SQS-triggered function is made here
from a function that handles one message, with Powertools' BatchProcessor and partial batch
responses.

    # functions/<group>/app.py: wiring only
    handler = queue_handler(lambda body: container().<service>.<verb>(body))
    handler = async_queue_handler(lambda body: container().<service>.<verb>(body))  # async

An async handler's messages of one batch are handled concurrently (Powertools'
AsyncBatchProcessor), each failing on its own. A processor holds one invocation's records,
so each invocation gets its own: the local platform invokes a handler from several threads
at once (an event source's maximum concurrency), as Lambda runs several containers. They
run on the invoking thread's event loop, made at its first invocation and kept for the next
ones, as Powertools keeps a Lambda container's: what the invocations build on it (an
upstream's HTTP client and its open connections, async workers' threads) is built once per
container. `close_thread_loop()` closes it, for a thread that ends (a local consumer's).

A message whose handling raises is reported back as a batch item failure (the template's
event source says `FunctionResponseTypes: [ReportBatchItemFailures]`): the others are
deleted, it comes back after the queue's visibility timeout, and after `maxReceiveCount`
receives it moves to the dead-letter queue. Delivery is at least once, so a handler is
idempotent: it decides by conditional writes, never by in-memory flags, whether the work was
already done. The local runtime delivers the template's queues the same way
(local/workers.py).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any

QueueHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
_thread = threading.local()  # .loop: this thread's event loop, kept across invocations


def queue_handler(handle: Callable[[dict[str, Any]], None]) -> QueueHandler:
    """The Lambda handler for an SQS event source: each message's JSON body to `handle`."""
    from aws_lambda_powertools.utilities.batch import (  # imported at the first event
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    def record_handler(record: Any) -> None:
        handle(json.loads(record.body))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        processor = BatchProcessor(event_type=EventType.SQS)
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)

    return handler


def async_queue_handler(handle: Callable[[dict[str, Any]], Awaitable[None]]) -> QueueHandler:
    """The same for a coroutine: a batch's messages are handled concurrently."""
    from aws_lambda_powertools.utilities.batch import (  # imported at the first event
        AsyncBatchProcessor,
        EventType,
        async_process_partial_response,
    )

    class ThreadLoopProcessor(AsyncBatchProcessor):
        """Powertools' processor, on the thread's kept loop whether in Lambda or not
        (Powertools keeps one only where LAMBDA_TASK_ROOT is set, else makes one per call)."""

        def async_process(self) -> list[Any]:
            async def every_record() -> list[Any]:
                records = (self._async_process_record(record) for record in self.records)
                return list(await asyncio.gather(*records))

            return thread_loop().run_until_complete(every_record())

    async def record_handler(record: Any) -> None:
        await handle(json.loads(record.body))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        processor = ThreadLoopProcessor(event_type=EventType.SQS)
        response = async_process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)

    return handler


def thread_loop() -> asyncio.AbstractEventLoop:
    """The calling thread's event loop for queue handlers: made once, kept until closed."""
    loop: asyncio.AbstractEventLoop | None = getattr(_thread, "loop", None)
    if loop is None or loop.is_closed():
        loop = _thread.loop = asyncio.new_event_loop()
    return loop


def close_thread_loop() -> None:
    """Close the calling thread's loop, if it has one, as asyncio.run closes its own: its
    async generators and default executor shut down first."""
    loop: asyncio.AbstractEventLoop | None = getattr(_thread, "loop", None)
    _thread.loop = None
    if loop is None or loop.is_closed():
        return
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
