"""What providers return, before the service gives it OpenAI's outer shape.

A provider fills choices, deltas and usage; the service adds id, object, created and the
public model id, so every provider's output looks the same to clients.

An upstream's usage is untrusted input: `reported_usage` accepts it only as two
non-negative integer counts of sane size. Anything else (missing, negative, fractional,
a string, a boolean, more than MAX_REPORTED_TOKENS) is no usage at all, and the service
estimates it instead (services/inference.py), exactly as for an upstream that sends none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# More tokens than any model reads or writes in one request: a count above it is not usage.
MAX_REPORTED_TOKENS = 100_000_000


def reported_count(value: Any) -> int | None:
    """A token count from an upstream, if it is one: a non-negative integer of sane size
    (an integral float such as 12.0 is accepted; booleans, strings and fractions are not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_REPORTED_TOKENS:
        return value
    return None


def reported_usage(prompt_tokens: Any, completion_tokens: Any) -> Usage | None:
    """The upstream's usage, or None where either count is not a count."""
    prompt, completion = reported_count(prompt_tokens), reported_count(completion_tokens)
    if prompt is None or completion is None:
        return None
    return Usage(prompt, completion)


@dataclass(slots=True)
class Usage:
    """The tokens a completion took, as the upstream counted them."""

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
    """A whole chat completion: its choices and their usage."""

    choices: list[Choice]
    usage: Usage | None  # None: the upstream reported none (or none that can be trusted)
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
    """An embeddings call's vectors and the tokens of its input."""

    vectors: list[list[float]]
    prompt_tokens: int | None  # None: the upstream reported no (trustworthy) count
