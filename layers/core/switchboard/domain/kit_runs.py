"""A kit run: its request, the chat request it becomes, its limits, and a classifier's label.

    POST /v1/kits/run {kit, input: {prompt, context?}, config?: {max_tokens?, temperature?,
                       labels?}, stream?}

The chat request holds the kit's system prompt, then `input.context` as a user message (the
document, for the summarizer), then `input.prompt`. A classifier's system prompt also lists
the label set.

**How a classifier labels.** The model is asked to answer with one label. Its answer is
read for the labels it names (whole words, case-insensitive): each label's score is its
share of those mentions, so an answer naming exactly one label gives it 1.0, and `label`
is the label with the highest score (the earlier one in the label set on a tie). An answer
that names no label gives every label the same score (1 / the number of labels) and
`label: null`: the answer said nothing we can read, and no label is favoured. Scores are
rounded to six decimals, the rounding's remainder given to the highest, so they sum to 1.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from switchboard.domain.catalog import ModelEntry
from switchboard.domain.kits import Kit
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.errors import InvalidRequestError

MAX_LABELS = 50


class KitInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1)
    context: str | None = None


class KitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    labels: list[str] | None = Field(default=None, min_length=2, max_length=MAX_LABELS)

    @field_validator("labels")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if any(not label.strip() for label in value):
            raise ValueError("labels must be non-empty strings")
        if len({label.strip().lower() for label in value}) != len(value):
            raise ValueError("labels must be distinct")
        return [label.strip() for label in value]


class KitRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kit: str = Field(min_length=1)
    input: KitInput
    config: KitConfig = Field(default_factory=KitConfig)
    stream: bool = False


def labels_of(kit: Kit, request: KitRunRequest) -> tuple[str, ...]:
    """The label set of a classifier's run: config.labels, else the kit's own."""
    if not kit.classifier:
        if request.config.labels is not None:
            raise InvalidRequestError(
                f"config.labels is only for classifier kits; '{kit.id}' is not one.",
                param="config.labels",
            )
        return ()
    return tuple(request.config.labels or kit.labels)


def chat_request(kit: Kit, model: ModelEntry, request: KitRunRequest) -> ChatCompletionRequest:
    """The chat completion a run makes, its output limit checked against the kit's and the
    model's context window (400 naming the limit)."""
    system = kit.system_prompt
    labels = labels_of(kit, request)
    if labels:
        system += " Labels: " + ", ".join(labels) + "."
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    if request.input.context:
        messages.append({"role": "user", "content": request.input.context})
    messages.append({"role": "user", "content": request.input.prompt})
    chat = ChatCompletionRequest.model_validate(
        {"model": model.id, "messages": messages, "stream": request.stream}
        | (
            {"temperature": request.config.temperature}
            if request.config.temperature is not None
            else {}
        )
    )
    return chat.model_copy(update={"max_tokens": output_limit(kit, model, request, chat)})


def output_limit(
    kit: Kit, model: ModelEntry, request: KitRunRequest, chat: ChatCompletionRequest
) -> int:
    """config.max_tokens (at most the kit's), else the kit's limit, within the context left."""
    asked = request.config.max_tokens
    if asked is not None and asked > kit.max_tokens:
        raise InvalidRequestError(
            f"config.max_tokens is {asked}, above the '{kit.id}' kit's limit of "
            f"{kit.max_tokens} tokens.",
            param="config.max_tokens",
            code="max_tokens_exceeded",
        )
    limit = asked or kit.max_tokens
    window = model.context_window
    if window is None:
        return limit
    prompt = chat.prompt_tokens
    if prompt + (asked or 1) > window:
        raise InvalidRequestError(
            f"The '{kit.id}' kit's model reads at most {window} tokens; the input is about "
            f"{prompt} tokens" + (f" and {asked} more were requested." if asked else "."),
            param="input",
            code="context_length_exceeded",
        )
    return min(limit, window - prompt)


def classify(text: str, labels: tuple[str, ...]) -> tuple[str | None, dict[str, float]]:
    """The label an answer names and each label's score (see the module's docstring)."""
    counts = [len(re.findall(rf"(?<!\w){re.escape(x)}(?!\w)", text, re.I)) for x in labels]
    total = sum(counts)
    if total == 0:
        return None, _rounded([1] * len(labels), labels)
    best = max(range(len(labels)), key=lambda i: (counts[i], -i))
    return labels[best], _rounded(counts, labels)


def _rounded(weights: list[int], labels: tuple[str, ...]) -> dict[str, float]:
    """Shares of `weights` in millionths summing to exactly 1,000,000, the remainder given
    to the largest share (the earlier on a tie)."""
    total = sum(weights)
    parts = [weight * 1_000_000 // total for weight in weights]
    top = max(range(len(parts)), key=lambda i: (parts[i], -i))
    parts[top] += 1_000_000 - sum(parts)
    return {label: part / 1_000_000 for label, part in zip(labels, parts, strict=True)}
