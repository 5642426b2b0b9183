"""What providers return, before the service gives it OpenAI's outer shape.

A provider fills choices, deltas and usage; the service adds id, object, created and the
public model id, so every provider's output looks the same to clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_tokens_details: dict[str, int] | None = None
    completion_tokens_details: dict[str, int] | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.prompt_tokens_details is not None:
            body["prompt_tokens_details"] = self.prompt_tokens_details
        if self.completion_tokens_details is not None:
            body["completion_tokens_details"] = self.completion_tokens_details
        return body


@dataclass(slots=True)
class Choice:
    """One finished choice. `message` is OpenAI's message object: role, content, refusal,
    and tool_calls where the model called tools."""

    index: int
    message: dict[str, Any]
    finish_reason: str
    logprobs: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        message = {"role": "assistant", "content": None, "refusal": None, **self.message}
        return {
            "index": self.index,
            "message": message,
            "logprobs": self.logprobs,
            "finish_reason": self.finish_reason,
        }


@dataclass(slots=True)
class Completion:
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


@dataclass(slots=True)
class ChoiceDelta:
    """One piece of one choice in a stream. `delta` is OpenAI's delta object."""

    index: int
    delta: dict[str, Any]
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "delta": self.delta,
            "logprobs": self.logprobs,
            "finish_reason": self.finish_reason,
        }


@dataclass(slots=True)
class CompletionChunk:
    """One streamed event: deltas, and usage on the upstream's final chunk."""

    choices: list[ChoiceDelta] = field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None


@dataclass(slots=True)
class Embeddings:
    vectors: list[list[float]]
    prompt_tokens: int
