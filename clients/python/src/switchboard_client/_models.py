"""What the platform answers, as frozen dataclasses. Each keeps the whole JSON object in
`raw`, so a field the platform adds later is readable before this client names it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Json = dict[str, Any]

BATCH_ENDED = frozenset({"completed", "failed", "cancelled", "expired"})
VIDEO_ENDED = frozenset({"completed", "failed", "cancelled", "expired"})
QUEUE_ENDED = frozenset({"completed", "failed"})
RUN_ENDED = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; pass `next_cursor` back as `after` for the next."""

    data: list[T]
    has_more: bool = False
    next_cursor: str | None = None

    @classmethod
    def parse(cls, raw: Json, item: Callable[[Json], T]) -> Page[T]:
        cursor = raw.get("next_cursor") or raw.get("last_id") if raw.get("has_more") else None
        items = [item(entry) for entry in raw.get("data", [])]
        return cls(items, bool(raw.get("has_more")), cursor)


@dataclass(frozen=True)
class Kit:
    id: str
    description: str
    max_tokens: int
    price_per_1k_tokens_usd: str
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> Kit:
        return cls(
            raw["id"],
            raw.get("description", ""),
            raw.get("max_tokens", 0),
            raw.get("price_per_1k_tokens_usd", ""),
            raw,
        )


@dataclass(frozen=True)
class KitRun:
    """A finished run. `label` and `scores` are the classifier's; None for other kits."""

    id: str
    kit: str
    status: str
    text: str
    usage: Json
    latency_ms: int | None
    label: str | None
    scores: dict[str, float] | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> KitRun:
        output = raw.get("output") or {}
        return cls(
            raw["id"],
            raw.get("kit", ""),
            raw.get("status", ""),
            output.get("text", ""),
            raw.get("usage") or {},
            raw.get("latency_ms"),
            output.get("label"),
            output.get("scores"),
            raw,
        )

    @property
    def cost_usd(self) -> str | None:
        return self.usage.get("cost_usd")


@dataclass(frozen=True)
class KitRunDelta:
    """A piece of a streamed run's text."""

    id: str
    kit: str
    text: str
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> KitRunDelta:
        text = (raw.get("output") or {}).get("text", "")
        return cls(raw.get("id", ""), raw.get("kit", ""), text, raw)


def kit_event(raw: Json) -> KitRunDelta | KitRun:
    return KitRunDelta.parse(raw) if raw.get("object") == "kit.run.delta" else KitRun.parse(raw)


@dataclass(frozen=True)
class QueuedRequest:
    """A request of the queue (POST /v1/ai). `error` is the envelope's inner object."""

    id: str
    model: str
    status: str
    response: str | None = None
    usage: Json | None = None
    error: Json | None = None
    created_at: int | None = None
    completed_at: int | None = None
    raw: Json = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, raw: Json) -> QueuedRequest:
        request_id = raw.get("req_id") or raw["request_id"]
        return cls(
            request_id,
            raw.get("model", ""),
            raw.get("status", ""),
            raw.get("response"),
            raw.get("usage"),
            raw.get("error"),
            raw.get("created_at"),
            raw.get("completed_at"),
            raw,
        )

    @property
    def done(self) -> bool:
        return self.status in QUEUE_ENDED


@dataclass(frozen=True)
class FileObject:
    id: str
    bytes: int
    filename: str
    purpose: str
    created_at: int
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> FileObject:
        return cls(
            raw["id"],
            raw.get("bytes", 0),
            raw.get("filename", ""),
            raw.get("purpose", ""),
            raw.get("created_at", 0),
            raw,
        )


@dataclass(frozen=True)
class RequestCounts:
    total: int = 0
    completed: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.completed + self.failed


@dataclass(frozen=True)
class Batch:
    id: str
    status: str
    endpoint: str
    input_file_id: str | None
    output_file_id: str | None
    error_file_id: str | None
    request_counts: RequestCounts
    cost_usd: str | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> Batch:
        counts = RequestCounts(**(raw.get("request_counts") or {}))
        return cls(
            raw["id"],
            raw.get("status", ""),
            raw.get("endpoint", ""),
            raw.get("input_file_id"),
            raw.get("output_file_id"),
            raw.get("error_file_id"),
            counts,
            raw.get("cost_usd"),
            raw,
        )

    @property
    def done(self) -> bool:
        return self.status in BATCH_ENDED


@dataclass(frozen=True)
class BatchResults:
    """A batch's output and error lines, each a parsed JSON object, in input order."""

    batch: Batch
    output: list[Json]
    errors: list[Json]


@dataclass(frozen=True)
class VideoJob:
    id: str
    status: str
    model: str | None
    content_urls: list[str]
    error: Json | None
    charged_credits_usd: str | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> VideoJob:
        return cls(
            raw["job_id"],
            raw.get("status", ""),
            raw.get("model"),
            list(raw.get("content_urls") or []),
            raw.get("error"),
            raw.get("charged_credits_usd"),
            raw,
        )

    @property
    def done(self) -> bool:
        return self.status in VIDEO_ENDED


@dataclass(frozen=True)
class PromptModel:
    model: str
    provider: str | None = None
    version: str | None = None
    parameters: Json = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Json | None) -> PromptModel | None:
        if not raw:
            return None
        return cls(
            raw["model"], raw.get("provider"), raw.get("version"), dict(raw.get("parameters") or {})
        )


@dataclass(frozen=True)
class CompiledPrompt:
    """Messages ready for a chat completion, with the version's model and parameters."""

    slug: str
    version: int
    tag: str | None
    messages: list[dict[str, str]]
    model: PromptModel | None
    unused_variables: list[str]
    warning: str | None = None

    @classmethod
    def parse(cls, raw: Json) -> CompiledPrompt:
        return cls(
            raw["slug"],
            raw["version"],
            raw.get("tag"),
            raw.get("messages", []),
            PromptModel.parse(raw.get("model")),
            list(raw.get("unusedVariables", [])),
            raw.get("warning"),
        )


@dataclass(frozen=True)
class Trace:
    """A trace; `spans` (a tree: each span's `children`) only from `traces.get`."""

    id: str
    name: str | None
    status: str
    model: str | None
    usage: Json
    cost_usd: str | None
    latency_ms: int | None
    started_at: str | None
    spans: list[Json]
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> Trace:
        return cls(
            raw["id"],
            raw.get("name"),
            raw.get("status", ""),
            raw.get("model"),
            raw.get("usage") or {},
            raw.get("cost_usd"),
            raw.get("latency_ms"),
            raw.get("started_at"),
            list(raw.get("spans") or []),
            raw,
        )


@dataclass(frozen=True)
class Score:
    id: str
    trace_id: str
    name: str
    value: float | bool | str
    comment: str | None
    source: str
    experiment_id: str | None
    variant: str | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> Score:
        return cls(
            raw["id"],
            raw["trace_id"],
            raw["name"],
            raw["value"],
            raw.get("comment"),
            raw.get("source", "api"),
            raw.get("experiment_id"),
            raw.get("variant"),
            raw,
        )


@dataclass(frozen=True)
class Experiment:
    """An experiment; `variants` (each with its count, cost, latency and score summaries)
    only from `experiments.get`."""

    id: str
    feature_slug: str
    name: str
    description: str | None
    variants: list[Json]
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> Experiment:
        return cls(
            raw["id"],
            raw.get("featureSlug", ""),
            raw.get("name", ""),
            raw.get("description"),
            list(raw.get("variants") or []),
            raw,
        )


@dataclass(frozen=True)
class ExperimentRun:
    """A run of a dataset against variants: `running`, `scoring`, then `completed` (or
    `failed`); `done` of `total` lines finished."""

    id: str
    experiment_id: str
    status: str
    done_lines: int
    total_lines: int
    batch_id: str | None
    scored: int
    judge_failures: int
    error: Json | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> ExperimentRun:
        progress = raw.get("progress") or {}
        return cls(
            raw["id"],
            raw.get("experiment_id", ""),
            raw.get("status", ""),
            progress.get("done", 0),
            progress.get("total", 0),
            raw.get("batch_id"),
            raw.get("scored", 0),
            raw.get("judge_failures", 0),
            raw.get("error"),
            raw,
        )

    @property
    def done(self) -> bool:
        return self.status in RUN_ENDED


@dataclass(frozen=True)
class ApiKey:
    """A key. `key` (the secret) is set only in the answer that created it."""

    id: str
    name: str
    scopes: list[str]
    prefix: str | None
    last4: str | None
    created_at: int | None
    expires_at: int | None
    key: str | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> ApiKey:
        name = str(raw.get("name", raw.get("label", "")))
        return cls(
            raw["id"],
            name,
            list(raw.get("scopes") or []),
            raw.get("prefix"),
            raw.get("last4"),
            raw.get("created_at"),
            raw.get("expires_at"),
            raw.get("key"),
            raw,
        )


@dataclass(frozen=True)
class App:
    id: str
    name: str
    owner_id: str | None
    created_at: int | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> App:
        return cls(raw["id"], raw.get("name", ""), raw.get("owner_id"), raw.get("created_at"), raw)


@dataclass(frozen=True)
class AppConfig:
    app_id: str
    default_model: str | None
    allowed_models: list[str]
    max_tokens_per_request: int | None
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> AppConfig:
        return cls(
            raw.get("app_id", ""),
            raw.get("defaultModel"),
            list(raw.get("allowedModels") or []),
            raw.get("maxTokensPerRequest"),
            raw,
        )


@dataclass(frozen=True)
class ModelUsage:
    tokens: int
    cost: str
    requests: int


@dataclass(frozen=True)
class AppUsage:
    app_id: str
    start_date: str
    end_date: str
    total_tokens: int
    total_cost: str
    by_model: dict[str, ModelUsage]
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> AppUsage:
        by_model = {name: ModelUsage(**row) for name, row in (raw.get("byModel") or {}).items()}
        return cls(
            raw.get("app_id", ""),
            raw.get("startDate", ""),
            raw.get("endDate", ""),
            raw.get("totalTokens", 0),
            raw.get("totalCost", "0.000000"),
            by_model,
            raw,
        )


@dataclass(frozen=True)
class UsageEntry:
    """A ledger entry: `type` is top_up, reserve, settle, release or adjustment; `cost`
    what a settlement charged and `amount` how the balance moved (USD strings)."""

    id: str
    type: str
    created_at: str
    request_id: str | None
    model: str | None
    app_id: str | None
    total_tokens: int
    cost: str
    amount: str
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> UsageEntry:
        return cls(
            raw["id"],
            raw.get("type", ""),
            raw.get("created_at", ""),
            raw.get("request_id"),
            raw.get("model"),
            raw.get("app_id"),
            raw.get("total_tokens", 0),
            raw.get("cost", "0.000000"),
            raw.get("amount", "0.000000"),
            raw,
        )


@dataclass(frozen=True)
class UsageTotals:
    """What a caller paid for over UTC days, in all and per group (each group a dict: its
    `date`, `model` or `app_id`, then tokens, prompt_tokens, completion_tokens, cost and
    requests)."""

    start_date: str
    end_date: str
    group_by: str
    tokens: int
    cost: str
    requests: int
    groups: list[Json]
    raw: Json = field(repr=False)

    @classmethod
    def parse(cls, raw: Json) -> UsageTotals:
        return cls(
            raw.get("startDate", ""),
            raw.get("endDate", ""),
            raw.get("groupBy", ""),
            raw.get("total_tokens", 0),
            raw.get("total_cost", "0.000000"),
            raw.get("total_requests", 0),
            list(raw.get("data") or []),
            raw,
        )
