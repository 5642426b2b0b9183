"""The container's vector stores, on the files and batches' parts: the vector index (S3
Vectors in the template's vector bucket; the local emulator's, with its QueryVectors, under
`make serve` and the tests), the stores' repository and their service. The document reader
the Files API and ingestion share is wiring/batches.py's `document_reader`."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.batches import BatchParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.vector_stores import DynamoVectorStores
    from switchboard.adapters.aws.vectors import S3VectorIndex
    from switchboard.services.chat_retrieval import ChatRetrieval
    from switchboard.services.vector_files import VectorFileIngestion
    from switchboard.services.vector_stores import VectorStoreService


class VectorParts(BatchParts):
    @cached_property
    def vector_index(self) -> S3VectorIndex:
        from switchboard.adapters.aws.vectors import S3VectorIndex

        return S3VectorIndex(self.client("s3vectors"), self.settings.VECTOR_BUCKET_ARN)

    @cached_property
    def vector_store_repo(self) -> DynamoVectorStores:
        from switchboard.adapters.aws.vector_stores import DynamoVectorStores

        return DynamoVectorStores(self.client("dynamodb"), self.settings.TABLE_NAME)

    @cached_property
    def vector_stores(self) -> VectorStoreService:
        from switchboard.services.vector_stores import VectorStoreService

        settings = self.settings
        return VectorStoreService(
            self.vector_store_repo,
            self.vector_index,
            self.files,
            self.document_reader,
            self.blobs,
            self.job_queue(settings.VECTOR_FILES_QUEUE_URL),
            self.catalog,
            self.inference.embed,
            default_model=settings.VECTOR_STORE_EMBEDDING_MODEL,
        )

    @cached_property
    def vector_files(self) -> VectorFileIngestion:
        from switchboard.services.vector_files import VectorFileIngestion

        return VectorFileIngestion(
            self.vector_store_repo, self.files, self.blobs, self.document_reader,
            self.vector_index, self.catalog, self.inference, self.billing,
            self.account_repo, self.limiter,
        )  # fmt: skip

    @cached_property
    def chat_retrieval(self) -> ChatRetrieval:
        from switchboard.services.chat_retrieval import ChatRetrieval

        return ChatRetrieval(self.inference, self.vector_stores)
