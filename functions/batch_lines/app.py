"""Batch lines (BatchLinesQueue): runs a few lines of a batch per message, each metered on
its own; at most BatchLineConcurrency of these run at once (the event source's maximum
concurrency). A message that fails five receives goes to BatchLinesDeadLetters."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().batch_lines.process(body))
