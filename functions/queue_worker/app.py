"""Queue worker (AiRequestsQueue): answers queued requests, a batch of messages at once;
a message that fails comes back, and after five receives goes to the dead-letter queue."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().queue.process(body))
