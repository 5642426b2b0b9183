"""QueryVectors in the local emulator (local/moto_s3vectors.py: exact brute-force search):
the time one query takes over HTTP for an index of N vectors of D dimensions, with and
without a metadata filter. Prints medians.

    python benchmarks/vector_query.py --vectors 10000 --dimension 384
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from typing import Any

import boto3

from switchboard.local.emulator import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=10_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    emulator = Emulator.start()
    os.environ |= {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    client = boto3.client("s3vectors", region_name="us-east-1", endpoint_url=emulator.endpoint)
    try:
        _run(client, args.vectors, args.dimension, args.queries)
    finally:
        emulator.stop()


def _run(c: Any, count: int, dimension: int, queries: int) -> None:
    rng = random.Random(7)
    c.create_vector_bucket(vectorBucketName="bench")
    for metric in ("cosine", "euclidean"):
        c.create_index(
            vectorBucketName="bench",
            indexName=metric,
            dataType="float32",
            dimension=dimension,
            distanceMetric=metric,
        )
        for start in range(0, count, 500):
            batch = [
                {
                    "key": f"k{i}",
                    "data": {"float32": [rng.uniform(-1, 1) for _ in range(dimension)]},
                    "metadata": {"group": i % 10},
                }
                for i in range(start, min(start + 500, count))
            ]
            c.put_vectors(vectorBucketName="bench", indexName=metric, vectors=batch)
        for label, extra in (("no filter", {}), ("filter group=3", {"filter": {"group": 3}})):
            times = []
            for _ in range(queries):
                vector = [rng.uniform(-1, 1) for _ in range(dimension)]
                t0 = time.perf_counter()
                c.query_vectors(
                    vectorBucketName="bench",
                    indexName=metric,
                    topK=10,
                    queryVector={"float32": vector},
                    returnDistance=True,
                    **extra,
                )
                times.append(time.perf_counter() - t0)
            median = statistics.median(times) * 1000
            print(f"{metric:9} {count} x {dimension} dims, {label:15}: median {median:.0f} ms")


if __name__ == "__main__":
    main()
