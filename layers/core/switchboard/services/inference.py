"""Inference use cases: resolve the model, call its provider, give the answer OpenAI's shape.

Providers fill choices and usage; this service adds ids, timestamps and the public model id,
makes streams well-formed (role first, finish_reason null until the last chunk, usage only
in one final chunk when asked for) and checks limits before any upstream call.

Every call is metered (services/billing.py): the worst case is held before the upstream
call, the upstream's usage settled after it, everything released if it fails. A stream the
client leaves early is settled for what the upstream had produced by then.
"""

from __future__ import annotations

import base64
import struct
import time
import uuid
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Protocol

import anyio.to_thread

from switchboard.domain.billing import cost_usd
from switchboard.domain.catalog import Catalog, ModelEntry, ModelType
from switchboard.domain.completions import Usage
from switchboard.domain.requests import ChatCompletionRequest, EmbeddingRequest
from switchboard.domain.tokens import count_tokens, message_text
from switchboard.errors import InvalidRequestError, SwitchboardError, UseVideoEndpointError

_INLINE_COUNT_CHARS = 16_384  # counted on the event loop: well under a millisecond

if TYPE_CHECKING:  # the ledger's boto3 imports belong to the first event, not to import
    from switchboard.ports import ProviderLookup
    from switchboard.services.meter import Meter


class Recorder(Protocol):
    """Keeps the outcome of a completion with its money: the writes returned go in the
    settlement's (or the release's) own transaction."""

    def answered(self, body: dict[str, Any]) -> Sequence[Any]: ...

    def failed(self, error: SwitchboardError) -> Sequence[Any]: ...


class InferenceService:
    def __init__(self, catalog: Catalog, providers: ProviderLookup) -> None:
        self._catalog = catalog
        self._providers = providers

    def chat_model(self, request: ChatCompletionRequest) -> ModelEntry:
        model = self._catalog.get(request.model)
        if model.type is ModelType.VIDEO:
            raise UseVideoEndpointError(
                f"'{model.id}' is a video model; send it to POST /v1/videos/completions "
                "(or OpenAI's POST /v1/videos).",
                param="model",
            )
        if model.type is not ModelType.CHAT:
            raise InvalidRequestError(
                f"'{model.id}' is not a chat model; use /v1/embeddings.",
                param="model",
                code="invalid_model_type",
            )
        _check_chat_limits(request, model)
        return model

    async def complete(
        self,
        request: ChatCompletionRequest,
        meter: Meter,
        *,
        admitted: bool = False,
        record: Recorder | None = None,
        batch: bool = False,
    ) -> dict[str, Any]:
        """One whole chat completion. `admitted`: the meter holds the credits already (a
        queued request's, taken at submit). `record` gives the writes that keep the outcome
        (a queued request's answer, or its failure), made in the same transaction as the
        settlement or the release. `batch`: a batch's line, held and billed at the model's
        batch price (the catalog's batch_discount)."""
        model = self.chat_model(request)
        if batch:
            model = model.batch_priced()
        if not admitted:
            request = await _admit(meter, request, model)
        try:
            completion = await self._providers.get(model.provider).complete(request, model)
        except SwitchboardError as error:
            await meter.release("the upstream call failed", record.failed(error) if record else ())
            raise
        except BaseException:
            await meter.release("the upstream call failed")
            raise
        choices = [choice.to_dict() for choice in completion.choices]
        produced = [message_text(choice["message"]) for choice in choices]
        usage = completion.usage or estimate_usage(request, produced)
        body: dict[str, Any] = {
            "id": _completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model.id,
            "choices": choices,
            "usage": usage.to_dict(),
        }
        if completion.system_fingerprint:
            body["system_fingerprint"] = completion.system_fingerprint
        quote = meter.quote(model, usage.prompt_tokens, usage.completion_tokens)
        body["usage"]["cost_usd"] = cost_usd([quote])
        writes = record.answered(body) if record else ()
        meter.capture(_trace_input(request), choices)
        await meter.settle(model, usage.prompt_tokens, usage.completion_tokens, writes)
        return body

    async def stream(
        self, request: ChatCompletionRequest, meter: Meter
    ) -> AsyncGenerator[dict[str, Any], None]:
        """OpenAI chunks; raises on the first `__anext__` if the call fails before any output."""
        model = self.chat_model(request)
        request = await _admit(meter, request, model)
        head: dict[str, Any] = {"id": _completion_id(), "object": "chat.completion.chunk"}
        head |= {"created": int(time.time()), "model": model.id}
        if request.include_usage:
            head["usage"] = None
        started: set[int] = set()
        usage: Usage | None = None
        produced = _Produced()
        try:
            chunks = self._providers.get(model.provider).stream(request, model)
            async with aclosing(chunks):
                async for chunk in chunks:
                    usage = chunk.usage or usage
                    if not chunk.choices:
                        continue
                    if not started:
                        meter.first_token()
                    choices = []
                    for choice in chunk.choices:
                        if choice.index not in started:
                            started.add(choice.index)
                            choice.delta = {"role": "assistant", **choice.delta}
                        produced.add(choice.index, choice.delta)
                        choices.append(choice.to_dict())
                    extra = {"system_fingerprint": chunk.system_fingerprint}
                    yield head | {"choices": choices} | (extra if chunk.system_fingerprint else {})
        except BaseException:  # upstream failure or client gone: bill only what was produced
            meter.capture(_trace_input(request), produced.texts())
            if usage is None and not started:
                await meter.release("the stream ended before any output")
            else:
                final = usage or estimate_usage(request, produced.texts())
                await meter.settle(model, final.prompt_tokens, final.completion_tokens)
            raise
        final = usage or estimate_usage(request, produced.texts())
        meter.capture(_trace_input(request), produced.texts())
        charge = await meter.settle(model, final.prompt_tokens, final.completion_tokens)
        if request.include_usage:
            usage_body = final.to_dict() | {"cost_usd": cost_usd([charge])}
            yield head | {"choices": [], "usage": usage_body}

    async def embed(
        self,
        request: EmbeddingRequest,
        meter: Meter,
        *,
        record: Recorder | None = None,
        batch: bool = False,
    ) -> dict[str, Any]:
        """Vectors for the inputs; `record` and `batch` as for `complete`."""
        model = self._embedding_model(request)
        if batch:
            model = model.batch_priced()
        estimate = await _count_inputs(request.texts)
        await meter.admit(model, estimate, None)
        try:
            result = await self._providers.get(model.provider).embed(
                request.texts, model, request.dimensions
            )
        except SwitchboardError as error:
            await meter.release("the upstream call failed", record.failed(error) if record else ())
            raise
        except BaseException:
            await meter.release("the upstream call failed")
            raise
        prompt_tokens = estimate if result.prompt_tokens is None else result.prompt_tokens
        encode = _base64 if request.encoding_format == "base64" else (lambda vector: vector)
        data = [
            {"object": "embedding", "index": index, "embedding": encode(vector)}
            for index, vector in enumerate(result.vectors)
        ]
        usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
        body = {"object": "list", "data": data, "model": model.id, "usage": usage}
        meter.capture(request.texts, {"vectors": len(data)})
        await meter.settle(model, prompt_tokens, 0, record.answered(body) if record else ())
        return body

    def _embedding_model(self, request: EmbeddingRequest) -> ModelEntry:
        model = self._catalog.get(request.model)
        if model.type is not ModelType.EMBEDDING:
            raise InvalidRequestError(
                f"'{model.id}' is not an embedding model; use /v1/chat/completions.",
                param="model",
                code="invalid_model_type",
            )
        if request.dimensions is not None:
            if not model.supports_dimensions:
                raise InvalidRequestError(
                    f"The model '{model.id}' does not support the dimensions parameter.",
                    param="dimensions",
                    code="invalid_value",
                )
            if model.dimensions is not None and request.dimensions > model.dimensions:
                raise InvalidRequestError(
                    f"dimensions must be at most {model.dimensions} for '{model.id}'.",
                    param="dimensions",
                    code="invalid_value",
                )
        return model


def _check_chat_limits(request: ChatCompletionRequest, model: ModelEntry) -> None:
    limit = request.output_limit
    if limit is not None and model.max_output_tokens and limit > model.max_output_tokens:
        param = "max_completion_tokens" if request.max_completion_tokens else "max_tokens"
        raise InvalidRequestError(
            f"{param} is too large: {limit}. '{model.id}' supports at most "
            f"{model.max_output_tokens} completion tokens.",
            param=param,
            code="invalid_value",
        )
    if model.context_window:
        prompt = request.prompt_tokens
        if prompt + (limit or 0) > model.context_window:
            raise InvalidRequestError(
                f"This model's maximum context length is {model.context_window} tokens; "
                f"the messages are about {prompt} tokens"
                + (f" and {limit} more were requested." if limit else "."),
                param="messages",
                code="context_length_exceeded",
            )


async def _admit(
    meter: Meter, request: ChatCompletionRequest, model: ModelEntry
) -> ChatCompletionRequest:
    """Reserve the worst case; a request the balance only partly affords gets max_tokens."""
    cap = await meter.admit(model, request.prompt_tokens, request.output_limit, request.n)
    if cap is None:
        return request
    return request.model_copy(update={"max_tokens": cap, "max_completion_tokens": None})


class _Produced:
    """What a stream has generated so far, gathered per choice into whole messages, so that
    it is counted exactly as the same answer unstreamed would be."""

    def __init__(self) -> None:
        self._content: dict[int, list[str]] = {}
        self._calls: dict[int, dict[int, dict[str, str]]] = {}

    def add(self, index: int, delta: dict[str, Any]) -> None:
        if delta.get("content"):
            self._content.setdefault(index, []).append(str(delta["content"]))
        for call in delta.get("tool_calls") or []:
            calls = self._calls.setdefault(index, {})
            slot = calls.setdefault(call.get("index", len(calls)), {"name": "", "arguments": ""})
            function = call.get("function") or {}
            slot["name"] += str(function.get("name") or "")
            slot["arguments"] += str(function.get("arguments") or "")

    def texts(self) -> list[str]:
        indexes = sorted(self._content.keys() | self._calls.keys())
        return [
            message_text(
                {
                    "content": "".join(self._content.get(index, [])),
                    "tool_calls": [{"function": f} for f in self._calls.get(index, {}).values()],
                }
            )
            for index in indexes
        ]


async def _count_inputs(texts: list[str]) -> int:
    """Input tokens as Switchboard counts them; in a worker thread when the inputs are big
    (about 20 ms a megabyte), so that the event loop serves other requests meanwhile."""
    if sum(len(text) for text in texts) <= _INLINE_COUNT_CHARS:
        return sum(count_tokens(text) for text in texts)
    return await anyio.to_thread.run_sync(lambda: sum(count_tokens(text) for text in texts))


def estimate_usage(request: ChatCompletionRequest, produced: list[str]) -> Usage:
    """The usage of an answer whose upstream reported none that can be trusted, streamed or
    not: the prompt as Switchboard counts it (the figure the hold was taken on) and the
    produced text and tool calls counted by domain/tokens.py."""
    return Usage(request.prompt_tokens, sum(count_tokens(text) for text in produced))


def _trace_input(request: ChatCompletionRequest) -> list[dict[str, Any]]:
    """The messages as the trace keeps them: each one's JSON dump, as tracing's _plain would
    make it, by the request's serializer (services/tracing.py dumps the trace's body)."""
    return request.message_dicts(mode="json", exclude_none=True, by_alias=True)


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def _base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
