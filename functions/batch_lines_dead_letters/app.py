"""Batch lines' dead letters (BatchLinesDeadLetters): the lines of a message that failed
every delivery fail, and the holds they left open are released."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().batch_lines.bury(body))
