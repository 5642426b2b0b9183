"""Queue dead letters (AiRequestsDeadLetters): a request whose message failed every delivery
fails, and its hold is released."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().queue.bury(body))
