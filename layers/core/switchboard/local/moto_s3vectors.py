"""QueryVectors for moto's S3 Vectors, which keeps buckets, indexes and vectors but cannot
search them (moto 5.2.5 has no QueryVectors).

`install` adds the operation to moto's S3 Vectors routes and handler: an exact, brute-force
search of the index with the distance metric it was created with (cosine: 1 - cos(a, b);
euclidean: the L2 distance), after S3 Vectors' metadata filter (local/vector_filters.py).
The answer has AWS's shape: `{"vectors": [{"key", "distance"?, "metadata"?}],
"distanceMetric"}`, nearest first; `ValidationException` for a topK outside 1..100, a query
vector of the wrong dimension or a bad filter, `NotFoundException` for an unknown index.
Every S3 Vectors request runs under one lock, so a query never sees an index mid-write.

Only the emulator changes: the application's boto3 calls are the ones it makes in AWS.
"""

from __future__ import annotations

import math
import operator
import threading
from typing import Any

from switchboard.local.vector_filters import FilterError, matches

LOCK = threading.Lock()  # every S3 Vectors request holds it
MAX_TOP_K = 100  # AWS's documented limit per QueryVectors request


def install() -> None:
    """Patch moto's S3 Vectors (idempotent). Call before the server starts."""
    from moto.s3vectors import urls
    from moto.s3vectors.responses import S3VectorsResponse

    if getattr(S3VectorsResponse, "_switchboard_patched", False):
        return
    urls.url_paths["{0}/QueryVectors$"] = S3VectorsResponse.dispatch
    original = S3VectorsResponse.call_action

    def call_action(self: Any) -> Any:
        with LOCK:
            return original(self)

    S3VectorsResponse.call_action = call_action  # type: ignore[method-assign]
    S3VectorsResponse.query_vectors = _query_vectors  # type: ignore[attr-defined]
    S3VectorsResponse.create_index = _create_index(S3VectorsResponse.create_index)  # type: ignore[method-assign]
    S3VectorsResponse._switchboard_patched = True  # type: ignore[attr-defined]


def _create_index(original: Any) -> Any:
    """moto's CreateIndex, except that an existing name is a ConflictException (moto would
    replace the index, and its vectors with it), and the index keeps its non-filterable
    metadata keys, which filters then do not see."""
    from moto.core.exceptions import ServiceException

    class IndexAlreadyExists(ServiceException):
        code = "ConflictException"

    def create_index(self: Any) -> Any:
        bucket = self.s3vectors_backend.get_vector_bucket(
            self._get_param("vectorBucketName"), self._get_param("vectorBucketArn")
        )
        name = self._get_param("indexName")
        if any(index.index_name == name for index in bucket.indexes.values()):
            raise IndexAlreadyExists("An index with the specified name already exists")
        result = original(self)
        config = self._get_param("metadataConfiguration") or {}
        index = self.s3vectors_backend.get_index(bucket.vector_bucket_name, name, None)
        index.non_filterable_keys = frozenset(config.get("nonFilterableMetadataKeys", ()))
        return result

    return create_index


def _query_vectors(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.s3vectors.exceptions import ValidationError

    bucket, name, arn = (self._get_param(p) for p in ("vectorBucketName", "indexName", "indexArn"))
    self._validate_index_params(arn, name, bucket)
    index = self.s3vectors_backend.get_index(bucket, name, arn)
    top_k = self._get_param("topK")
    query = (self._get_param("queryVector") or {}).get("float32")
    query = _checked(top_k, query, index.dimension)
    try:
        hits = search(index, query, top_k, self._get_param("filter"))
    except FilterError as e:
        raise ValidationError(str(e)) from e
    with_distance = self._get_bool_param("returnDistance", False)
    with_metadata = self._get_bool_param("returnMetadata", False)
    vectors = [
        {"key": vector.key}
        | ({"distance": distance} if with_distance else {})
        | ({"metadata": vector.metadata} if with_metadata else {})
        for distance, vector in hits
    ]
    return ActionResult({"vectors": vectors, "distanceMetric": index.distance_metric})


def _checked(top_k: Any, query: Any, dimension: int) -> list[float]:
    """The query vector, once topK and its dimension are known to be valid."""
    from moto.s3vectors.exceptions import ValidationError

    if not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise ValidationError(
            f"1 validation error detected. Value at '/topK' failed to satisfy constraint: "
            f"Member must be between 1 and {MAX_TOP_K}, inclusive"
        )
    if not isinstance(query, list):
        raise ValidationError("queryVector must contain float32")
    if len(query) != dimension:
        raise ValidationError(
            f"Query vector contains invalid dimensions: the index has dimension {dimension}, "
            f"the query vector has {len(query)}"
        )
    return query


def search(
    index: Any, query: list[float], top_k: int, query_filter: Any
) -> list[tuple[float, Any]]:
    """The top_k (distance, vector) pairs of the index nearest to query, nearest first."""
    distance = _cosine(query) if index.distance_metric == "cosine" else _euclidean(query)
    candidates = index.vectors.values()
    if query_filter is not None:
        matches(query_filter, {})  # a bad filter is refused even when the index is empty
        hidden: frozenset[str] = getattr(index, "non_filterable_keys", frozenset())
        candidates = [v for v in candidates if matches(query_filter, _filterable(v, hidden))]
    scored = [(distance(v), v) for v in candidates]
    scored.sort(key=lambda pair: (pair[0], pair[1].key))
    return scored[:top_k]


def _filterable(vector: Any, hidden: frozenset[str]) -> dict[str, Any]:
    metadata: dict[str, Any] = vector.metadata or {}
    return {k: v for k, v in metadata.items() if k not in hidden} if hidden else metadata


def _cosine(query: list[float]) -> Any:
    query_norm = math.hypot(*query)

    def distance(vector: Any) -> float:
        norm = _norm(vector) * query_norm
        dot = sum(map(operator.mul, query, vector.data["float32"]))
        return 1.0 - dot / norm if norm else 1.0

    return distance


def _norm(vector: Any) -> float:
    """The vector's length, computed once (PutVectors replaces a key's Vector object)."""
    norm: float | None = getattr(vector, "_switchboard_norm", None)
    if norm is None:
        norm = vector._switchboard_norm = math.hypot(*vector.data["float32"])
    return norm


def _euclidean(query: list[float]) -> Any:
    def distance(vector: Any) -> float:
        return math.dist(query, vector.data["float32"])

    return distance
