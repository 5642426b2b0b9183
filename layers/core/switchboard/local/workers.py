"""Runs the template's event sources in-process: SQS consumers and rate() schedules.

A consumer long-polls its queue, hands the handler an event shaped as Lambda's SQS event
source would, and has what succeeded deleted (honouring `batchItemFailures`); what failed
comes back after the visibility timeout and, as in AWS, moves to a dead-letter queue by
redrive. As with Lambda's pollers, deleting is not the function's time: one thread deletes
for every consumer, up to ten messages of a queue a call, while the consumer polls again.
An event source with a ScalingConfig's MaximumConcurrency gets that many consumer threads
(at most MAX_CONSUMERS), as Lambda runs that many invocations at once; others get one.

A receive waits up to LONG_POLL_SECONDS for a message, as Lambda's pollers do (20 s, SQS's
longest): an idle queue costs one empty receive per consumer every 20 s, not every second.
`stop()` does not wait for those polls: no invocation starts once it is called, it waits
for the invocations in flight against one deadline, and a consumer still in a poll ends
when the poll does, putting back what it received (or, the emulator gone, when it fails).

Every invocation goes through `invoke`, which leaves the process's log keys as it found them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import boto3

from switchboard.api.access_log import service_logger
from switchboard.local.functions import LocalContext, load_handler
from switchboard.local.template import FunctionSpec, Resolver, rate_seconds
from switchboard.workers import close_thread_loop

logger = logging.getLogger("switchboard.local")
MAX_CONSUMERS = 16  # threads for one event source, whatever its declared concurrency
LONG_POLL_SECONDS = 20  # a receive's wait for a message (SQS's longest, Lambda's pollers')
STOP_SECONDS = 5.0  # how long stop() waits, in all, for the invocations in flight


class Workers:
    def __init__(self, functions: list[FunctionSpec], resolver: Resolver, region: str) -> None:
        self._functions = functions
        self._resolver = resolver
        self._region = region
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._invoking: set[threading.Thread] = set()  # threads in a handler now
        self._lock = threading.Lock()  # orders a thread's start of an invocation and stop()
        self._deleter = Deleter(region)

    def start(self) -> None:
        if any(spec.queues for spec in self._functions):
            self._deleter.start()
        for spec in self._functions:
            if spec.queues:
                load_handler(spec)  # imported once, before its consumer threads share it
            for queue, batch_size in spec.queues:
                for n in range(self.consumers(spec, queue)):
                    name = f"{spec.logical_id}<-{queue}#{n}"
                    self._spawn(name, self._consume, spec, queue, batch_size)
            for expression in spec.schedules:
                self._spawn(f"{spec.logical_id}@{expression}", self._tick, spec, expression)

    def consumers(self, spec: FunctionSpec, queue: str) -> int:
        """How many invocations of `spec` its event source on `queue` runs at once."""
        declared = spec.concurrency.get(queue)
        if declared is None:
            return 1
        return max(1, min(int(self._resolver.resolve(declared)), MAX_CONSUMERS))

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """No invocation starts after this; the ones in flight get `timeout` seconds in all
        to finish. Consumers waiting in a poll are not waited for (their threads are
        daemons): each ends when its poll returns."""
        with self._lock:
            self._stop.set()
            invoking = list(self._invoking)
        deadline = time.monotonic() + timeout
        for thread in invoking:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._deleter.close(deadline)

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _begin(self) -> bool:
        """Whether the calling thread may invoke its handler (False once stopping); if so,
        stop() waits for it until `_end`."""
        with self._lock:
            if self._stop.is_set():
                return False
            self._invoking.add(threading.current_thread())
            return True

    def _end(self) -> None:
        with self._lock:
            self._invoking.discard(threading.current_thread())

    def _consume(self, spec: FunctionSpec, queue: str, batch_size: int) -> None:
        client = boto3.client("sqs", region_name=self._region)
        url, arn = self._resolver.names[queue], self._resolver.arns[queue]
        handler = load_handler(spec)
        try:
            while not self._stop.is_set():
                messages = self._receive(client, url, batch_size)
                if not messages:
                    continue
                if not self._begin():
                    _put_back(client, url, messages)
                    break
                try:
                    self._deliver(url, arn, spec, handler, messages)
                finally:
                    self._end()
        finally:
            close_thread_loop()  # an async handler's loop, kept across invocations

    def _receive(self, client: Any, url: str, batch_size: int) -> list[Any]:
        """A long poll's messages; none when it failed (the emulator gone, when stopping)."""
        try:
            response = client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(batch_size, 10),
                WaitTimeSeconds=LONG_POLL_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        except Exception:
            if not self._stop.is_set():
                logger.exception("receiving from %s failed; trying again in a second", url)
                self._stop.wait(1)
            return []
        return list(response.get("Messages", []))

    def _deliver(
        self,
        url: str,
        arn: str,
        spec: FunctionSpec,
        handler: Any,
        messages: Sequence[Any],
    ) -> None:
        event = {"Records": [sqs_record(message, arn, self._region) for message in messages]}
        try:
            result = invoke(
                handler, event, LocalContext(spec, self._resolver.arns[spec.logical_id])
            )
        except Exception:
            logger.exception(
                "%s failed on a batch of %d; it will be retried", spec.logical_id, len(messages)
            )
            return
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        done = [m["ReceiptHandle"] for m in messages if m["MessageId"] not in failed]
        self._deleter.delete(url, done)

    def _tick(self, spec: FunctionSpec, expression: str) -> None:
        period = rate_seconds(expression)
        handler = load_handler(spec)
        try:
            while not self._stop.wait(period) and self._begin():
                event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
                context = LocalContext(spec, self._resolver.arns[spec.logical_id])
                try:
                    invoke(handler, event, context)
                except Exception:
                    logger.exception("%s failed on its schedule", spec.logical_id)
                finally:
                    self._end()
        finally:
            close_thread_loop()


def _put_back(client: Any, url: str, messages: Sequence[Any]) -> None:
    """Messages received as the consumers stop: visible again at once, for whoever polls
    next (a platform started on the same emulator), rather than after their timeout."""
    entries = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
        for i, m in enumerate(messages)
    ]
    try:
        client.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    except Exception:  # the emulator is going too: the messages go with it
        logger.debug("could not put back %d messages on %s", len(messages), url)


class Deleter:
    """Deletes the messages consumers handled, in a thread of its own, up to ten of a
    queue a call; `close` sends what is pending, until a deadline."""

    def __init__(self, region: str) -> None:
        self._region = region
        self._pending: dict[str, list[str]] = {}  # queue URL -> receipt handles
        self._changed = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqs-deleter", daemon=True)
        self._thread.start()

    def delete(self, url: str, receipts: Sequence[str]) -> None:
        if receipts:
            with self._changed:
                self._pending.setdefault(url, []).extend(receipts)
                self._changed.notify()

    def close(self, deadline: float) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        client: Any = boto3.client("sqs", region_name=self._region)
        while (work := self._next()) is not None:
            url, receipts = work
            entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts)]
            try:
                client.delete_message_batch(QueueUrl=url, Entries=entries)
            except Exception:  # they come back after their visibility timeout
                logger.exception("deleting %d handled messages from %s failed", len(entries), url)

    def _next(self) -> tuple[str, list[str]] | None:
        """Up to ten receipts of one queue; None once closed with nothing pending."""
        with self._changed:
            while not self._pending and not self._closing:
                self._changed.wait()
            if not self._pending:
                return None
            url, receipts = next(iter(self._pending.items()))
            taken, rest = receipts[:10], receipts[10:]
            if rest:
                self._pending[url] = rest
            else:
                del self._pending[url]
            return url, taken


def invoke(handler: Callable[[Any, Any], Any], event: Any, context: LocalContext) -> Any:
    """Call a handler as its event source would. Its Powertools `inject_lambda_context`
    appends the invocation's keys (function_name, cold_start, ...) to the logger that, in
    this one process, every function shares; they are taken off again afterwards, so that
    later lines (a request's, another worker's) do not name this function."""
    logger = service_logger()
    before = dict(logger.get_current_keys())
    try:
        return handler(event, context)
    finally:
        after = dict(logger.get_current_keys())
        logger.remove_keys([key for key in after if key not in before])
        logger.append_keys(**{k: v for k, v in before.items() if after.get(k) is not v})


def sqs_record(message: dict[str, Any], arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {k[0].lower() + k[1:]: v for k, v in value.items()}
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }
