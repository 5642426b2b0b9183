"""Vector files (VectorFilesQueue): ingests one file added to a vector store per message:
extract its text, chunk, embed (metered to the store's owner), write the vectors, finish
the file. A message that fails five receives goes to VectorFilesDeadLetters."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().vector_files.process(body))
