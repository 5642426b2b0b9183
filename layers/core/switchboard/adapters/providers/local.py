"""Switchboard's built-in, offline provider: no model weights, no network, fully deterministic.

Chat ("echo"): a scripted assistant. It answers the last user message by quoting it, calls a
tool when `tool_choice` asks for one (or, under "auto", when the user names the tool),
reports tool results back, emits JSON under `response_format`, honours max_tokens and stop
sequences, and streams its reply one token at a time. Token counts are exact counts of the
pieces it reads and writes (see domain/tokens.py).

Embeddings ("hashed-ngrams"): words, word pairs and character trigrams hashed into a signed
feature vector and normalised. Same text, same vector, in every process; texts that share
words are closer than texts that don't. It measures wording, not meaning.
("multilingual-e5-small"): a real model, where its package is installed; see e5.py.

Off the event loop. The model work is CPU-bound Python, so any job bigger than a few
milliseconds (hashing more than INLINE_EMBED_CHARS characters, composing a reply to more than
INLINE_PROMPT_TOKENS prompt tokens, every e5 call) runs in the provider's WorkerPool
(pool.py). The bound: at most DEFAULT_WORKERS (2) jobs at once, or the provider's `workers`
option; further jobs queue for a free thread. Two, because the work holds the GIL: more
threads would add contention with the event loop, not throughput (e5 also takes one call at
a time). Smaller jobs run inline, so they never queue behind big ones.

Streams give the event loop a turn every YIELD_EVERY tokens (or wait `token_delay_ms` before
each), so other requests are served meanwhile and a client's disconnect cancels the stream
where it is (a turn per token would cost about a third more CPU). The reply is composed once
and its choices streamed one after another; usage comes last and counts only what was
streamed, so a stream left early is billed for what it produced (services/inference.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import re
from collections.abc import AsyncGenerator, Iterator
from typing import Any

from switchboard.adapters.providers.e5 import E5Embedder
from switchboard.adapters.providers.local_tools import intended_call
from switchboard.adapters.providers.pool import WorkerPool
from switchboard.domain.catalog import ModelEntry, ProviderConfig
from switchboard.domain.completions import (
    Choice,
    ChoiceDelta,
    Completion,
    CompletionChunk,
    Embeddings,
    Usage,
)
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tokens import count_tokens, message_text, split_tokens
from switchboard.domain.tools import BUILTIN_TOOLS

INTRO = "This is Switchboard's offline local model. You said: "
E5_MODEL = "multilingual-e5-small"
DEFAULT_WORKERS = 2
INLINE_EMBED_CHARS = 4_096  # about 5 ms of hashing
INLINE_PROMPT_TOKENS = 8_192  # about 2 ms to compose a reply
YIELD_EVERY = 32  # tokens streamed between turns of the event loop: under 1 ms of work
_WORD = re.compile(r"\w+", re.UNICODE)


class LocalProvider:
    """`choices_started` counts the choices whose reply was begun, over the provider's life:
    a stream the client leaves stops adding to it."""

    def __init__(self, config: ProviderConfig | None = None) -> None:
        options = config.options if config else {}
        self._token_delay = float(options.get("token_delay_ms", 0)) / 1000
        self._e5 = E5Embedder()
        workers = int(options.get("workers", DEFAULT_WORKERS))
        self.pool = WorkerPool(workers, name=f"switchboard-{config.name if config else 'local'}")
        self.choices_started = 0

    async def complete(self, request: ChatCompletionRequest, model: ModelEntry) -> Completion:
        reply = await self._compose(request)
        self.choices_started += request.n
        choices = [
            Choice(index=index, message=reply.message(), finish_reason=reply.finish)
            for index in range(request.n)
        ]
        return Completion(
            choices=choices, usage=Usage(request.prompt_tokens, reply.tokens * request.n)
        )

    async def stream(
        self, request: ChatCompletionRequest, model: ModelEntry
    ) -> AsyncGenerator[CompletionChunk, None]:
        reply = await self._compose(request)
        completion_tokens = sent = 0
        for index in range(request.n):
            self.choices_started += 1
            for delta in reply.deltas():
                await self._pause(sent)
                sent += 1
                yield CompletionChunk(choices=[ChoiceDelta(index=index, delta=delta)])
            completion_tokens += reply.tokens
            yield CompletionChunk(
                choices=[ChoiceDelta(index=index, delta={}, finish_reason=reply.finish)]
            )
        yield CompletionChunk(usage=Usage(request.prompt_tokens, completion_tokens))

    async def embed(
        self, texts: list[str], model: ModelEntry, dimensions: int | None
    ) -> Embeddings:
        if model.upstream_model == E5_MODEL:
            vectors, tokens = await self.pool.run(self._e5.embed, texts, model.id)
            return Embeddings(vectors=vectors, prompt_tokens=tokens)
        size = dimensions or model.dimensions or 384
        if sum(len(text) for text in texts) <= INLINE_EMBED_CHARS:
            return embed_texts(texts, size)
        return await self.pool.run(embed_texts, texts, size)

    async def aclose(self) -> None:
        self.pool.close()

    async def _compose(self, request: ChatCompletionRequest) -> Reply:
        """The reply, the same for every choice (the model is deterministic)."""
        messages = _dump_messages(request)
        if request.prompt_tokens <= INLINE_PROMPT_TOKENS:
            return compose_reply(request, messages)
        return await self.pool.run(compose_reply, request, messages)

    async def _pause(self, sent: int) -> None:
        """Before a token: the configured delay, else every YIELD_EVERY tokens one turn of the
        event loop, which serves other requests and lets a disconnected client's
        cancellation land here."""
        if self._token_delay:
            await asyncio.sleep(self._token_delay)
        elif sent % YIELD_EVERY == 0:
            await asyncio.sleep(0)


class Reply:
    """One scripted answer: text pieces or one tool call, cut by max_tokens and stop."""

    def __init__(self, pieces: list[str], tool_call: dict[str, Any] | None, finish: str) -> None:
        self.pieces = pieces
        self.tool_call = tool_call
        self.finish = finish

    @property
    def tokens(self) -> int:
        if self.tool_call is not None:
            function = self.tool_call["function"]
            return count_tokens(function["name"] + " " + function["arguments"])
        return len(self.pieces)

    def message(self) -> dict[str, Any]:
        if self.tool_call is not None:
            return {"role": "assistant", "content": None, "tool_calls": [self.tool_call]}
        return {"role": "assistant", "content": "".join(self.pieces)}

    def deltas(self) -> Iterator[dict[str, Any]]:
        if self.tool_call is not None:
            call = {"index": 0, **self.tool_call}
            yield {"role": "assistant", "content": None, "tool_calls": [call]}
            return
        yield {"role": "assistant", "content": ""}
        for piece in self.pieces:
            yield {"content": piece}


def compose_reply(request: ChatCompletionRequest, messages: list[dict[str, Any]]) -> Reply:
    intent = _intended(request, messages)
    if intent is not None:  # a built-in tool asked for in words (local_tools.py)
        return _call(intent[0], json.dumps(intent[1]))
    tool = _tool_to_call(request, messages)
    if tool is not None:
        text = _last_user_text(messages)
        return _call(tool["name"], json.dumps(_example_of(tool.get("parameters") or {}, text)))
    return _limit(split_tokens(_reply_text(request, messages)), request)


def _call(name: str, arguments: str) -> Reply:
    call: dict[str, Any] = {"id": "call_" + _digest(arguments + name, 12), "type": "function"}
    call["function"] = {"name": name, "arguments": arguments}
    return Reply([], call, "tool_calls")


def _reply_text(request: ChatCompletionRequest, messages: list[dict[str, Any]]) -> str:
    last = messages[-1]
    said = message_text(last) if last["role"] == "tool" else _last_user_text(messages)
    text = ("The tool returned: " if last["role"] == "tool" else INTRO) + said
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_object":
        return json.dumps({"reply": text})
    if fmt is not None and fmt.json_schema is not None:
        return json.dumps(_example_of(fmt.json_schema.schema_ or {}, said))
    return text


def _limit(pieces: list[str], request: ChatCompletionRequest) -> Reply:
    finish = "stop"
    text = "".join(pieces)
    cuts = [text.find(stop) for stop in request.stop_sequences if stop and stop in text]
    if cuts:
        pieces = split_tokens(text[: min(cuts)])
    limit = request.output_limit
    if limit is not None and len(pieces) > limit:
        pieces, finish = pieces[:limit], "length"
    return Reply(pieces, None, finish)


def _intended(
    request: ChatCompletionRequest, messages: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]] | None:
    if request.tool_choice not in (None, "auto") or messages[-1]["role"] == "tool":
        return None
    offered = {tool.function.name for tool in request.tools or []}
    return intended_call(_last_user_text(messages), offered & set(BUILTIN_TOOLS))


def _tool_to_call(
    request: ChatCompletionRequest, messages: list[dict[str, Any]]
) -> dict[str, Any] | None:
    tools = [tool.function.model_dump(exclude_none=True) for tool in request.tools or []]
    choice = request.tool_choice
    if not tools or choice == "none" or messages[-1]["role"] == "tool":
        return None
    if choice == "required":
        return tools[0]
    if choice is not None and not isinstance(choice, str):
        return next(tool for tool in tools if tool["name"] == choice.function.name)
    said = _last_user_text(messages).lower()
    return next((tool for tool in tools if tool["name"].lower() in said), None)


def _example_of(schema: dict[str, Any], text: str) -> Any:
    """A small value that satisfies a JSON schema's required shape."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _example_of(spec, text) for name, spec in properties.items()}
    if kind == "array":
        return [_example_of(schema.get("items", {}), text)]
    if kind in ("integer", "number"):
        return len(text) if kind == "integer" else float(len(text))
    if kind == "boolean":
        return True
    return text


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return message_text(message)
    return ""


def _dump_messages(request: ChatCompletionRequest) -> list[dict[str, Any]]:
    return request.message_dicts(exclude_none=True)


def embed_texts(texts: list[str], size: int) -> Embeddings:
    vectors = [embed_text(text, size) for text in texts]
    return Embeddings(vectors=vectors, prompt_tokens=sum(count_tokens(t) for t in texts))


def embed_text(text: str, size: int) -> list[float]:
    vector = [0.0] * size
    words = _WORD.findall(text.lower())
    features = [(word, 1.0) for word in words]
    features += [(f"{a} {b}", 0.5) for a, b in itertools.pairwise(words)]
    for word in words:
        padded = f" {word} "
        features += [(padded[i : i + 3], 0.25) for i in range(len(padded) - 2)]
    if not features:
        features = [(text, 1.0)]
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "little") % size
        vector[bucket] += weight if digest[4] & 1 else -weight
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector


def _digest(text: str, length: int) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:length]
