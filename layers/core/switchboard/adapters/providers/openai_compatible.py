"""A provider for any OpenAI-compatible upstream: OpenAI, OpenRouter, Ollama, vLLM.

The request goes upstream as the client sent it (unknown parameters included), with the
catalog's upstream model id. Streams are relayed event by event and always ask for usage,
so that the service can bill every stream. Upstream failures become UpstreamError (502) or
UpstreamTimeoutError (504); the upstream's own error text is logged, never shown.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

import httpx

from switchboard.adapters.providers.http_errors import translated_http_errors
from switchboard.domain.catalog import ModelEntry, ProviderConfig
from switchboard.domain.completions import (
    Choice,
    ChoiceDelta,
    Completion,
    CompletionChunk,
    Embeddings,
    Usage,
    reported_count,
    reported_usage,
)
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.errors import UpstreamError

logger = logging.getLogger("switchboard.providers")

_LOGGED_BODY_CHARS = 2000
_INVALID = "The upstream provider returned an invalid response."


class OpenAICompatibleProvider:
    """The client is shared and belongs to its creator, who sets its timeouts and closes it."""

    def __init__(
        self, config: ProviderConfig, client: httpx.AsyncClient, api_key: str | None
    ) -> None:
        self._config = config
        self._client = client
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def complete(self, request: ChatCompletionRequest, model: ModelEntry) -> Completion:
        body = chat_body(request, model, stream=False)
        data = await self._post_json("/chat/completions", body)
        try:
            return _completion(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise self._invalid(exc) from exc

    async def stream(
        self, request: ChatCompletionRequest, model: ModelEntry
    ) -> AsyncGenerator[CompletionChunk, None]:
        body = chat_body(request, model, stream=True)
        headers = {**self._headers, "Accept": "text/event-stream"}
        url = self._config.base_url + "/chat/completions"
        async with (
            translated_http_errors(self._config.name),
            self._client.stream("POST", url, json=body, headers=headers) as response,
        ):
            await self._check_status(response)
            kind = response.headers.get("content-type", "")
            if not kind.lower().startswith("text/event-stream"):
                await response.aread()
                raise self._invalid(ValueError(f"a stream answered as {kind!r}: {response.text}"))
            decoder = _SSEDecoder()
            relayed = False
            async for line in response.aiter_lines():
                event = decoder.feed(line)
                if event is not None and (chunk := self._chunk(event)) is not None:
                    relayed = True
                    yield chunk
            if not relayed:  # a 200 that said nothing is no answer, not an empty success
                raise self._invalid(ValueError("the stream ended without a single chunk"))

    async def embed(
        self, texts: list[str], model: ModelEntry, dimensions: int | None
    ) -> Embeddings:
        body: dict[str, Any] = {
            "model": model.upstream_model,
            "input": texts,
            "encoding_format": "float",
        }
        if dimensions is not None:
            body["dimensions"] = dimensions
        data = await self._post_json("/embeddings", body)
        try:
            return _embeddings(data, len(texts))
        except (KeyError, TypeError, ValueError) as exc:
            raise self._invalid(exc) from exc

    async def aclose(self) -> None:
        """Nothing to release: the shared client is closed by whoever created it."""

    async def _post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self._config.base_url + path
        async with translated_http_errors(self._config.name):
            response = await self._client.post(url, json=body, headers=self._headers)
            await self._check_status(response)
        try:
            data = response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise self._invalid(exc) from exc
        if not isinstance(data, dict):
            raise self._invalid(TypeError("the body is not a JSON object"))
        self._raise_if_error(data)
        return data

    def _chunk(self, data: str) -> CompletionChunk | None:
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise self._invalid(exc) from exc
        if not isinstance(event, dict):
            raise self._invalid(TypeError("a stream event is not a JSON object"))
        self._raise_if_error(event)
        try:
            return _completion_chunk(event)
        except (KeyError, TypeError, ValueError) as exc:
            raise self._invalid(exc) from exc

    async def _check_status(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        await response.aread()
        logger.warning(
            "upstream %s answered HTTP %d: %s",
            self._config.name,
            response.status_code,
            response.text[:_LOGGED_BODY_CHARS],
        )
        raise UpstreamError(
            f"The upstream provider returned an error (HTTP {response.status_code})."
        )

    def _raise_if_error(self, data: dict[str, Any]) -> None:
        """OpenRouter and others report some failures inside a 200 body or a stream event."""
        if data.get("error") is None:
            return
        text = json.dumps(data["error"])[:_LOGGED_BODY_CHARS]
        logger.warning("upstream %s reported an error: %s", self._config.name, text)
        raise UpstreamError("The upstream provider reported an error.")

    def _invalid(self, exc: Exception) -> UpstreamError:
        text = repr(exc)[:_LOGGED_BODY_CHARS]
        logger.warning("upstream %s sent an invalid response: %s", self._config.name, text)
        return UpstreamError(_INVALID)


def chat_body(request: ChatCompletionRequest, model: ModelEntry, *, stream: bool) -> dict[str, Any]:
    """The upstream request: the client's fields and extras, with the upstream model id.
    Streams always ask for usage; the service decides whether the client sees it."""
    body = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    body.pop("use_tools", None)  # Switchboard's own: the gateway runs the built-in tools
    body["model"] = model.upstream_model
    if body.get("n") == 1:
        del body["n"]  # the default everywhere; some upstreams reject the parameter
    body.pop("stream", None)
    options = body.pop("stream_options", None) or {}
    if stream:
        body["stream"] = True
        body["stream_options"] = {**options, "include_usage": True}
    return body


class _SSEDecoder:
    """Server-sent events, line by line: `data:` lines join into an event at the blank
    line that ends it; comments (`: keep-alive`) and other fields are skipped. After
    `[DONE]` nothing more is returned, so the caller can drain the body and keep the
    connection for the pool. An event cut off by the end of the body is discarded."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self.done = False

    def feed(self, line: str) -> str | None:
        if line:
            field, _, value = line.partition(":")
            if field == "data":
                self._data.append(value[1:] if value.startswith(" ") else value)
            return None
        event, self._data = "\n".join(self._data), []
        if self.done or not event:
            return None
        self.done = event.strip() == "[DONE]"
        return None if self.done else event


def _completion(data: dict[str, Any]) -> Completion:
    choices = [
        Choice(
            index=int(choice.get("index", position)),
            message=dict(choice["message"]),
            finish_reason=str(choice.get("finish_reason") or "stop"),
            logprobs=_optional_dict(choice.get("logprobs")),
        )
        for position, choice in enumerate(data["choices"])
    ]
    return Completion(
        choices=choices,
        usage=_usage(data.get("usage")),
        system_fingerprint=data.get("system_fingerprint"),
    )


def _completion_chunk(event: dict[str, Any]) -> CompletionChunk | None:
    choices = [
        ChoiceDelta(
            index=int(choice.get("index", position)),
            delta=dict(choice.get("delta") or {}),
            finish_reason=choice.get("finish_reason"),
            logprobs=_optional_dict(choice.get("logprobs")),
        )
        for position, choice in enumerate(event.get("choices") or [])
    ]
    usage = _usage(event.get("usage"))
    if not choices and usage is None:
        return None  # e.g. Azure's prompt_filter_results: nothing to relay
    return CompletionChunk(
        choices=choices, usage=usage, system_fingerprint=event.get("system_fingerprint")
    )


def _usage(data: Any) -> Usage | None:
    """The upstream's usage if it is two token counts; else None, and the service
    estimates it (an upstream's usage is untrusted: see domain/completions.py)."""
    if not isinstance(data, dict):
        return None
    usage = reported_usage(data.get("prompt_tokens"), data.get("completion_tokens"))
    if usage is None:
        logger.warning("upstream usage is not two token counts, estimating it: %.200r", data)
        return None
    usage.prompt_tokens_details = _token_details(data.get("prompt_tokens_details"))
    usage.completion_tokens_details = _token_details(data.get("completion_tokens_details"))
    return usage


def _token_details(data: Any) -> dict[str, int] | None:
    if not isinstance(data, dict):
        return None
    counts = {k: reported_count(v) for k, v in data.items()}
    return {k: v for k, v in counts.items() if v is not None}


def _optional_dict(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, dict) else None


def _embeddings(data: dict[str, Any], expected: int) -> Embeddings:
    items = sorted(data["data"], key=lambda item: int(item["index"]))
    vectors = [[float(x) for x in item["embedding"]] for item in items]
    if len(vectors) != expected:
        raise ValueError(f"expected {expected} vectors, got {len(vectors)}")
    usage = data.get("usage")
    prompt_tokens = reported_count(usage.get("prompt_tokens")) if isinstance(usage, dict) else None
    return Embeddings(vectors=vectors, prompt_tokens=prompt_tokens)
