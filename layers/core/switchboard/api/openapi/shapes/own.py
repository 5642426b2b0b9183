"""The objects of Switchboard's own routes (accounts, keys, apps, prompts, jobs, traces)."""

from __future__ import annotations

from typing import Any, Literal

from switchboard.api.openapi.shapes.openai import ListOf, Shape


class Health(Shape):
    status: Literal["ok"]


class PublicModel(Shape):
    id: str
    name: str
    type: str
    inputPricePerMTokens: float
    outputPricePerMTokens: float
    contextWindow: int | None


class PublicModelList(Shape):
    object: Literal["list"]
    data: list[PublicModel]


class User(Shape):
    id: str
    email: str
    first_name: str
    last_name: str
    role: str
    plan: str
    credits_usd: str
    created_at: int


class UserList(Shape):
    object: Literal["list"]
    data: list[User]


class Credits(Shape):
    user_id: str
    credits_usd: str


class IssuedKey(Shape):
    """A new key: `key` is its secret, shown this once."""

    id: str
    object: Literal["api_key"]
    key: str
    created_at: int


class Key(Shape):
    id: str
    object: Literal["api_key"]
    prefix: str
    last4: str
    scopes: list[str]
    created_at: int


class KeyList(Shape):
    object: Literal["list"]
    data: list[Key]


class DeletedKey(Shape):
    id: str
    object: Literal["api_key"]
    deleted: bool


class App(Shape):
    id: str
    object: Literal["app"]
    name: str
    owner_id: str
    created_at: int


class AppList(Shape):
    object: Literal["list"]
    data: list[App]


class AppConfig(Shape):
    app_id: str
    defaultModel: str | None
    maxTokensPerRequest: int | None
    allowedModels: list[str]


class Kit(Shape):
    id: str
    object: Literal["kit"]


class KitList(Shape):
    object: Literal["list"]
    data: list[Kit]


class KitRun(Shape):
    """A kit's run; with `stream: true`, SSE frames of `kit.run.delta` then the run."""

    object: Literal["kit.run"]
    kit: str
    status: str
    output: dict[str, Any]


class KitRunDelta(Shape):
    """A streamed kit run's events: `kit.run.delta` pieces of output, then the `kit.run`."""

    object: Literal["kit.run.delta", "kit.run"]
    kit: str


class Prompt(Shape):
    object: Literal["prompt"]
    slug: str
    name: str | None
    owner: dict[str, Any]
    latest_version: int | None
    tags: dict[str, Any]
    created_at: int


class PromptVersion(Shape):
    object: Literal["prompt.version"]
    slug: str
    version: int
    text: str
    variables: list[str]
    created_at: int


class Page(Shape):
    object: Literal["list"]
    data: list[dict[str, Any]]
    has_more: bool
    next_cursor: str | None


class ServedPrompt(Shape):
    warning: str | None
    prompt: dict[str, Any]


class CompiledPrompt(Shape):
    object: Literal["prompt.compiled"]
    slug: str
    version: int
    messages: list[dict[str, Any]]


class PromptDescription(Shape):
    object: Literal["prompt.description"]
    slug: str
    availableVersions: list[int]
    availableTags: dict[str, Any] | list[str]


class QueuedRequest(Shape):
    request_id: str
    model: str
    status: Literal["queued"]


class QueuedStatus(Shape):
    req_id: str
    model: str
    status: str
    response: str | None
    created_at: int


class BatchUpload(Shape):
    """An upload's state; when created, with the presigned POST (`url`, `fields`)."""

    id: str
    object: Literal["batch.upload"]
    status: str
    created_at: int


class VideoJob(Shape):
    job_id: str
    status: str
    model: str
    polling_url: str
    content_urls: list[str]
    created_at: int


class VideoSubmitted(Shape):
    job_id: str
    status: str
    polling_url: str


class Trace(Shape):
    id: str
    object: Literal["trace"]


class TraceList(ListOf):
    data: list[dict[str, Any]]


class Stats(Shape):
    object: Literal["stats"]


class Score(Shape):
    object: Literal["score"]
    trace_id: str
    name: str


class Experiment(Shape):
    object: Literal["experiment"]


class ExperimentRun(Shape):
    object: Literal["experiment.run"]
    experiment_id: str


class ObjectList(ListOf):
    data: list[dict[str, Any]]


class Skill(Shape):
    id: str
    name: str
    description: str


class SkillList(Shape):
    skills: list[Skill]


class Usage(Shape):
    """An app's usage over a period."""


class UserUsage(Shape):
    """A user's usage totals over UTC days, grouped by day, model or app (GET /v1/usage)."""

    object: Literal["usage"]
    user_id: str
    startDate: str
    endDate: str
    groupBy: Literal["day", "model", "app"]
    total_tokens: int
    total_prompt_tokens: int
    total_completion_tokens: int
    total_cost: str
    total_requests: int
    data: list[dict[str, Any]]
