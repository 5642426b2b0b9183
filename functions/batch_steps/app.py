"""Batch steps (BatchStepsQueue): the batch state machine's task-token steps (validate,
split, finalize), each answering the token it carries; a message that fails three
receives goes to BatchStepsDeadLetters."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().batch_steps.run(body))
