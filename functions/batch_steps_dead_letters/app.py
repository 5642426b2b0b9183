"""Batch steps' dead letters (BatchStepsDeadLetters): a step that failed every delivery
fails its batch, and the state machine's step with it."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().batch_steps.bury(body))
