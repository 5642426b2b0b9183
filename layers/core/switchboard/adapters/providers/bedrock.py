"""Amazon Bedrock through boto3's bedrock-runtime client.

Chat goes through Converse and ConverseStream (bedrock_requests.py maps a request out,
bedrock_answers.py maps answers and stream events back); embeddings through InvokeModel
with Titan text embeddings, one call per text.

boto3 is synchronous, so every call runs in a worker thread. A stream is read by one
thread of its own, which hands events to the event loop through an asyncio.Queue as they
arrive; when the consumer goes away the thread stops at the next event (or at the
client's read timeout if Bedrock goes quiet), and closes the HTTP response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import urllib3.exceptions
from botocore.eventstream import ParserError as EventStreamParserError
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.parsers import ResponseParserError

from switchboard.adapters.providers.bedrock_answers import (
    ChunkTranslator,
    completion_from_converse,
)
from switchboard.adapters.providers.bedrock_requests import converse_request
from switchboard.domain.catalog import ModelEntry, ProviderConfig
from switchboard.domain.completions import (
    Completion,
    CompletionChunk,
    Embeddings,
    reported_count,
)
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.errors import SwitchboardError, UpstreamError, UpstreamTimeoutError

logger = logging.getLogger("switchboard.providers")

_UPSTREAM_FAILED = "The upstream model provider returned an error."
_UPSTREAM_TIMED_OUT = "The upstream model provider did not answer in time."
_UPSTREAM_INVALID = "The upstream model provider returned an invalid response."
_EMBED_WORKERS = 8
# Everything botocore (and urllib3 under it) raises for a failed call or a broken stream,
# and what reading an answer of an unexpected shape raises: all upstream faults (502).
_TRANSPORT_ERRORS = (
    BotoCoreError,
    ClientError,
    urllib3.exceptions.HTTPError,
    EventStreamParserError,
    ResponseParserError,
)
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def bedrock_client(config: ProviderConfig) -> Any:
    """The production client: the provider's region, else the default one. Timeouts and
    attempts may be set in the catalog (read_timeout, connect_timeout, max_attempts)."""
    import boto3  # imported when first needed: boto3 is slow to import
    from botocore.config import Config

    options = config.options
    client_config = Config(
        read_timeout=float(options.get("read_timeout", 300)),
        connect_timeout=float(options.get("connect_timeout", 10)),
        retries={"mode": "standard", "total_max_attempts": int(options.get("max_attempts", 3))},
    )
    return boto3.client("bedrock-runtime", region_name=config.region or None, config=client_config)


class BedrockProvider:
    def __init__(self, config: ProviderConfig, client_factory: Callable[[], Any]) -> None:
        self._config = config
        self._client_factory = client_factory
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._feeds: set[_Feed] = set()

    async def complete(self, request: ChatCompletionRequest, model: ModelEntry) -> Completion:
        kwargs = converse_request(request, model)
        with _translated_errors(model):
            response = await anyio.to_thread.run_sync(self._converse, kwargs)
            return completion_from_converse(response)

    async def stream(
        self, request: ChatCompletionRequest, model: ModelEntry
    ) -> AsyncGenerator[CompletionChunk, None]:
        kwargs = converse_request(request, model)
        translator = ChunkTranslator()
        feed = _Feed(asyncio.get_running_loop())
        self._feeds.add(feed)
        threading.Thread(
            target=self._pump, args=(kwargs, feed), name="bedrock-stream", daemon=True
        ).start()
        try:
            while (item := await feed.queue.get()) is not _END:
                with _translated_errors(model):
                    if isinstance(item, _Failure):
                        raise item.error
                    chunk = translator.feed(item)
                if chunk is not None:
                    yield chunk
        finally:
            feed.stopped.set()
            self._feeds.discard(feed)

    async def embed(
        self, texts: list[str], model: ModelEntry, dimensions: int | None
    ) -> Embeddings:
        with _translated_errors(model):
            results = await anyio.to_thread.run_sync(self._embed_all, texts, model, dimensions)
        counts = [tokens for _, tokens in results]
        return Embeddings(
            vectors=[vector for vector, _ in results],
            prompt_tokens=None if None in counts else sum(c for c in counts if c is not None),
        )

    async def aclose(self) -> None:
        """Stop the streams still running. The client is not closed: whoever made the
        factory owns it (the container shares one client per region)."""
        for feed in list(self._feeds):
            feed.stopped.set()

    # Blocking calls, run in worker threads.

    def _client_instance(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def _converse(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self._client_instance().converse(**kwargs)
        return response

    def _embed_all(
        self, texts: list[str], model: ModelEntry, dimensions: int | None
    ) -> list[tuple[list[float], int | None]]:
        if len(texts) <= 1:
            return [self._embed_one(text, model, dimensions) for text in texts]
        workers = min(_EMBED_WORKERS, len(texts))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bedrock-embed")
        try:
            return list(pool.map(lambda text: self._embed_one(text, model, dimensions), texts))
        finally:
            pool.shutdown(cancel_futures=True)  # after a failure, skip the texts not yet sent

    def _embed_one(
        self, text: str, model: ModelEntry, dimensions: int | None
    ) -> tuple[list[float], int | None]:
        body: dict[str, Any] = {"inputText": text, "normalize": True}
        if dimensions is not None:
            body["dimensions"] = dimensions
        response = self._client_instance().invoke_model(
            modelId=model.upstream_model,
            body=json.dumps(body),
            contentType="application/json",
            accept="application/json",
        )
        with response["body"] as payload:
            answer = json.loads(payload.read())
        count = reported_count(answer.get("inputTextTokenCount"))
        return [float(x) for x in answer["embedding"]], count

    def _pump(self, kwargs: dict[str, Any], feed: _Feed) -> None:
        """Read one ConverseStream in this thread, handing each event to the loop."""
        last: Any = _END
        try:
            stream = self._client_instance().converse_stream(**kwargs)["stream"]
            try:
                for event in stream:
                    if feed.stopped.is_set():
                        break
                    feed.put(event)
            finally:
                stream.close()
        except Exception as exc:  # handed to the loop, which translates or re-raises it
            last = _Failure(exc)
        feed.put(last)


@dataclass(frozen=True, slots=True)
class _Failure:
    error: Exception


_END: Any = object()


class _Feed:
    """Worker thread -> event loop; `stopped` is set when the consumer is gone."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stopped = threading.Event()

    def put(self, item: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.stopped.set()


@contextmanager
def _translated_errors(model: ModelEntry) -> Iterator[None]:
    """botocore's errors become ours; Bedrock's text goes to the log, never to clients."""
    try:
        yield
    except _TRANSPORT_ERRORS as exc:
        raise _translate(exc, model) from exc
    except _SHAPE_ERRORS as exc:  # an answer of a shape we do not know: an upstream fault
        logger.warning("bedrock %s sent an unexpected answer: %r", model.upstream_model, exc)
        raise UpstreamError(_UPSTREAM_INVALID) from exc


def _translate(exc: Exception, model: ModelEntry) -> SwitchboardError:
    name = f"{model.provider.name}/{model.upstream_model}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        logger.warning("bedrock %s failed: %s: %s", name, code, error.get("Message", ""))
        if code == "ModelTimeoutException":
            return UpstreamTimeoutError(_UPSTREAM_TIMED_OUT)
        return UpstreamError(_UPSTREAM_FAILED)
    logger.warning("bedrock %s failed: %s: %s", name, type(exc).__name__, exc)
    # botocore's ReadTimeoutError is not urllib3's (it derives from botocore's vendored one)
    if isinstance(exc, urllib3.exceptions.TimeoutError | ConnectTimeoutError | ReadTimeoutError):
        return UpstreamTimeoutError(_UPSTREAM_TIMED_OUT)
    return UpstreamError(_UPSTREAM_FAILED)
