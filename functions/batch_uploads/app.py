"""Batch uploads (BatchUploadsQueue): S3's notifications of files put under batch-input/;
each file starts its batch, or is rejected beside itself (services/uploads.py)."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().uploads.notified(body))
