"""S3VectorIndex: vectors in S3 Vectors, one index per name in the template's vector bucket,
searched with QueryVectors. The same calls reach the local emulator (AWS_ENDPOINT_URL),
whose QueryVectors is local/moto_s3vectors.py.

S3 Vectors' limits shape it: at most 500 vectors per PutVectors or DeleteVectors call (so
writes go in batches of 500) and 100 keys per GetVectors call, topK at most 100, dimension
1 to 4,096, metadata 40 KB per vector of which 2 KB filterable (long text goes under a
non-filterable key, `text` by default), at most 10 non-filterable keys per index.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.adapters.aws.failures import aws_code
from switchboard.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ServiceUnavailableError,
)
from switchboard.ports import VectorHit

BATCH = 500  # vectors per PutVectors or DeleteVectors call, S3 Vectors' maximum
GET_BATCH = 100  # keys per GetVectors call, S3 Vectors' maximum
MAX_TOP_K = 100  # results per QueryVectors call, S3 Vectors' maximum


class S3VectorIndex:
    def __init__(self, client: Any, bucket_arn: str) -> None:
        self._client = client
        self._bucket_arn = bucket_arn

    def ensure_index(
        self,
        name: str,
        dimension: int,
        metric: str = "cosine",
        non_filterable_keys: Sequence[str] = ("text",),
    ) -> None:
        existing = self._existing(name)
        if existing is None:
            config = {"nonFilterableMetadataKeys": list(non_filterable_keys)}
            with suppress(ConflictError), _translated(name):  # created meanwhile: fine
                self._client.create_index(
                    vectorBucketArn=self._bucket_arn,
                    indexName=name,
                    dataType="float32",
                    dimension=dimension,
                    distanceMetric=metric,
                    **({"metadataConfiguration": config} if non_filterable_keys else {}),
                )
            existing = self._existing(name) or {"dimension": dimension, "distanceMetric": metric}
        if (existing["dimension"], existing["distanceMetric"]) != (dimension, metric):
            raise ConflictError(
                f"Vector index '{name}' holds {existing['dimension']}-dimension "
                f"{existing['distanceMetric']} vectors, not {dimension}-dimension {metric}."
            )

    def put(
        self, index: str, vectors: Sequence[tuple[str, Sequence[float], dict[str, Any]]]
    ) -> None:
        for start in range(0, len(vectors), BATCH):
            batch = [
                {"key": key, "data": {"float32": [float(x) for x in data]}, "metadata": metadata}
                for key, data, metadata in vectors[start : start + BATCH]
            ]
            with _translated(index):
                self._client.put_vectors(indexArn=self._arn(index), vectors=batch)

    def query(
        self,
        index: str,
        vector: Sequence[float],
        top_k: int,
        filter: dict[str, Any] | None = None,
    ) -> list[VectorHit]:
        request: dict[str, Any] = {
            "indexArn": self._arn(index),
            "topK": max(1, min(top_k, MAX_TOP_K)),
            "queryVector": {"float32": [float(x) for x in vector]},
            "returnMetadata": True,
            "returnDistance": True,
        }
        if filter:
            request["filter"] = filter
        with _translated(index):
            answer = self._client.query_vectors(**request)
        return [
            VectorHit(v["key"], float(v.get("distance", 0.0)), dict(v.get("metadata") or {}))
            for v in answer.get("vectors", [])
        ]

    def present(self, index: str, keys: Sequence[str]) -> set[str]:
        """Which of these keys the index holds (GetVectors, without data or metadata)."""
        return {str(v["key"]) for v in self._got(index, keys)}

    def get(self, index: str, keys: Sequence[str]) -> list[tuple[str, list[float], dict[str, Any]]]:
        """The (key, vector, metadata) of those keys the index holds (GetVectors)."""
        return [
            (str(v["key"]), [float(x) for x in v["data"]["float32"]],
             dict(v.get("metadata") or {}))
            for v in self._got(index, keys, returnData=True, returnMetadata=True)
        ]  # fmt: skip

    def _got(self, index: str, keys: Sequence[str], **returned: bool) -> Iterator[dict[str, Any]]:
        """The vectors GetVectors finds of these keys, GET_BATCH keys a call."""
        for start in range(0, len(keys), GET_BATCH):
            with _translated(index):
                answer = self._client.get_vectors(
                    indexArn=self._arn(index), keys=list(keys[start : start + GET_BATCH]),
                    **returned,
                )  # fmt: skip
            yield from answer.get("vectors", [])

    def delete(self, index: str, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), BATCH):
            with _translated(index):
                self._client.delete_vectors(
                    indexArn=self._arn(index), keys=list(keys[start : start + BATCH])
                )

    def delete_index(self, index: str) -> None:
        with suppress(NotFoundError), _translated(index):
            self._client.delete_index(indexArn=self._arn(index))

    def _arn(self, index: str) -> str:
        return f"{self._bucket_arn}/index/{index}"

    def _existing(self, name: str) -> dict[str, Any] | None:
        try:
            with _translated(name):
                found: dict[str, Any] = self._client.get_index(indexArn=self._arn(name))["index"]
        except NotFoundError:
            return None
        return found


@contextmanager
def _translated(index: str) -> Iterator[None]:
    """The one place S3 Vectors' errors become ours (AWS's words kept as the cause)."""
    try:
        yield
    except ClientError as exc:
        code = aws_code(exc)
        if code == "NotFoundException":
            raise NotFoundError(f"No vector index '{index}'.") from exc
        if code == "ValidationException":
            raise InvalidRequestError(
                f"The vector index '{index}' refused the request (a vector's dimension, the "
                "filter, or a metadata size)."
            ) from exc
        if code == "ConflictException":
            raise ConflictError(f"Vector index '{index}' already exists.") from exc
        raise ServiceUnavailableError("The vector index is unavailable; try again.") from exc
    except BotoCoreError as exc:
        raise ServiceUnavailableError("The vector index is unavailable; try again.") from exc
