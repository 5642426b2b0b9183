"""The container's files and batches: the Files and Batch APIs (and the document reader
the Files API checks documents with), uploads, and the batch state machine's steps and line
workers."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.batches import DynamoBatches
    from switchboard.adapters.aws.files import DynamoFiles
    from switchboard.adapters.aws.uploads import DynamoUploads
    from switchboard.adapters.documents.reader import DocumentExtractor
    from switchboard.services.batch_lines import BatchLines
    from switchboard.services.batch_steps import BatchSteps
    from switchboard.services.batches import BatchService
    from switchboard.services.files import FileService
    from switchboard.services.uploads import UploadService


class BatchParts(CoreParts):
    @cached_property
    def file_repo(self) -> DynamoFiles:
        from switchboard.adapters.aws.files import DynamoFiles

        return DynamoFiles(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def batch_repo(self) -> DynamoBatches:
        from switchboard.adapters.aws.batches import DynamoBatches

        return DynamoBatches(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def document_reader(self) -> DocumentExtractor:
        """Text from documents (PDF, HTML, Markdown, JSON, text): the Files API checks a
        document's type with it, vector store ingestion reads its text."""
        from switchboard.adapters.documents.reader import DocumentExtractor

        return DocumentExtractor()

    @cached_property
    def files(self) -> FileService:
        from switchboard.services.files import FileService

        retention = self.settings.DATA_RETENTION_DAYS * 86_400
        return FileService(
            self.file_repo, self.blobs, self.document_reader, retention_seconds=retention
        )

    @cached_property
    def batches(self) -> BatchService:
        from switchboard.services.batches import BatchService

        settings = self.settings
        return BatchService(
            self.batch_repo,
            self.files,
            self.workflow(settings.BATCH_STATE_MACHINE_ARN),
            self.limiter,
            self.account_repo,
            completion_window_seconds=settings.BATCH_COMPLETION_WINDOW_SECONDS,
            poll_seconds=settings.BATCH_POLL_SECONDS,
        )

    @cached_property
    def upload_repo(self) -> DynamoUploads:
        from switchboard.adapters.aws.uploads import DynamoUploads

        return DynamoUploads(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def uploads(self) -> UploadService:
        from switchboard.services.uploads import UploadService

        return UploadService(self.upload_repo, self.blobs, self.account_repo, self.batches)

    @cached_property
    def batch_steps(self) -> BatchSteps:
        from switchboard.services.batch_steps import BatchSteps

        settings = self.settings
        return BatchSteps(
            self.batch_repo,
            self.files,
            self.blobs,
            self.job_queue(settings.BATCH_LINES_QUEUE_URL),
            self.workflow(settings.BATCH_STATE_MACHINE_ARN),
            finished=self.batch_finished,
        )

    async def batch_finished(self, batch_id: str) -> None:
        """What a batch's end does beyond its files (ExperimentParts: score a run's batch)."""

    @cached_property
    def batch_lines(self) -> BatchLines:
        from switchboard.services.batch_lines import BatchLines

        return BatchLines(
            self.batch_repo,
            self.blobs,
            self.job_queue(self.settings.BATCH_LINES_QUEUE_URL),
            self.catalog,
            self.inference,
            self.billing,
        )
