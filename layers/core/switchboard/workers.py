"""Queue consumers, written one way: the handler of an SQS-triggered function is made here
from a function that handles one message, with Powertools' BatchProcessor and partial batch
responses.

    # functions/<group>/app.py: wiring only
    handler = queue_handler(lambda body: container().<service>.<verb>(body))
    handler = async_queue_handler(lambda body: container().<service>.<verb>(body))  # async

An async handler's messages of one batch are handled concurrently (Powertools'
AsyncBatchProcessor), each failing on its own. A processor holds one invocation's records,
so each invocation gets its own: the local platform invokes a handler from several threads
at once (an event source's maximum concurrency), as Lambda runs several containers.

A message whose handling raises is reported back as a batch item failure (the template's
event source says `FunctionResponseTypes: [ReportBatchItemFailures]`): the others are
deleted, it comes back after the queue's visibility timeout, and after `maxReceiveCount`
receives it moves to the dead-letter queue. Delivery is at least once, so a handler is
idempotent: it decides by conditional writes, never by in-memory flags, whether the work was
already done. The local runtime delivers the template's queues the same way
(local/workers.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

QueueHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


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

    async def record_handler(record: Any) -> None:
        await handle(json.loads(record.body))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        processor = AsyncBatchProcessor(event_type=EventType.SQS)
        response = async_process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)

    return handler
