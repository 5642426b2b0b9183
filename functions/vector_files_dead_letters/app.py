"""Vector files' dead letters (VectorFilesDeadLetters): a file whose message failed every
delivery is finished `failed` (server_error)."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().vector_files.bury(body))
