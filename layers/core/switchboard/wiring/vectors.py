"""The container's vector index: S3 Vectors in the template's vector bucket (the local
emulator's, with its QueryVectors, under `make serve` and the tests)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.adapters.aws.vectors import S3VectorIndex


class VectorParts(CoreParts):
    @cached_property
    def vector_index(self) -> S3VectorIndex:
        from switchboard.adapters.aws.vectors import S3VectorIndex

        return S3VectorIndex(self.client("s3vectors"), self.settings.VECTOR_BUCKET_ARN)
