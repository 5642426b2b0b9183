"""Experiments: calls that join one (`experiment: {id}` in a chat or kit body, or an ingested
trace's `experiment.id`), compared per variant, with scores on their traces (docs/traces.md).

    variant   the call's prompt version (`prompt:<slug>@<version>`), or its model when it
              named no prompt (`model:<model>`)
    score     {name, value: number | boolean | category string, comment?, source}; the
              experiment's score counters add it to its trace's variant: a number's (or a
              boolean's, true = 1) sum and count, or a category's count
    run       a dataset executed against variants on the batch engine (domain/runs.py)
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from switchboard.domain.traces import PromptRef, iso
from switchboard.domain.validation import checked_text, invalid_value
from switchboard.errors import NotFoundError

EXPERIMENT_PREFIX = "exp_"
SCORE_PREFIX = "score_"
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
MAX_COMMENT_CHARS = 2_000
MAX_CATEGORY_CHARS = 100
SOURCES = ("api", "evaluator")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_SCORE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$")
_ID = re.compile(r"^exp_[0-9a-f]{24}$")

ScoreValue = float | bool | str


def new_experiment_id() -> str:
    return EXPERIMENT_PREFIX + secrets.token_hex(12)


def new_score_id() -> str:
    return SCORE_PREFIX + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class Experiment:
    id: str
    owner_id: str
    feature_slug: str
    name: str
    description: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "experiment", "featureSlug": self.feature_slug,
            "name": self.name, "description": self.description, "owner": self.owner_id,
            "created_at": iso(self.created_at),
        }  # fmt: skip


def parse_experiment(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """POST /monitor/experiments' featureSlug, name and description, checked."""
    slug = body.get("featureSlug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise invalid_value(
            "featureSlug must be 1 to 128 letters, digits, '_', '.', ':' or '-'.", "featureSlug"
        )
    name = checked_text(body.get("name"), "name", MAX_NAME_CHARS)
    description = body.get("description")
    if description is not None:
        description = checked_text(description, "description", MAX_DESCRIPTION_CHARS)
    return slug, str(name), description


def experiment_not_found(experiment_id: str) -> NotFoundError:
    return NotFoundError(
        f"No experiment found with id '{experiment_id}'.",
        param="experiment",
        code="experiment_not_found",
    )


def plausible_id(experiment_id: object) -> bool:
    return isinstance(experiment_id, str) and _ID.match(experiment_id) is not None


def take_experiment(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The body without its `experiment: {id}` (never validated as the request's own, never
    sent upstream) and the id it names; a wrong shape is 400."""
    if "experiment" not in data:
        return data, None
    rest = {k: v for k, v in data.items() if k != "experiment"}
    ref = data["experiment"]
    if ref is None:
        return rest, None
    if not isinstance(ref, dict) or set(ref) != {"id"} or not isinstance(ref["id"], str):
        raise invalid_value("experiment must be an object {id}.", "experiment")
    return rest, ref["id"]


def variant_of(prompt: PromptRef | None, model: str | None) -> str:
    """The variant a call belongs to: its prompt version, or its model when no prompt."""
    if prompt is not None:
        return f"prompt:{prompt.slug}@{prompt.version}"
    return f"model:{model or '-'}"


def describe_variant(variant: str) -> dict[str, Any]:
    """A variant's name as the API shows it: {variant, prompt: {slug, version} | null,
    model: str | null}."""
    kind, _, rest = variant.partition(":")
    if kind == "prompt":
        slug, _, version = rest.rpartition("@")
        return {"variant": variant, "prompt": {"slug": slug, "version": int(version)},
                "model": None}  # fmt: skip
    return {"variant": variant, "prompt": None, "model": None if rest == "-" else rest}


@dataclass(frozen=True, slots=True)
class Score:
    id: str
    trace_id: str
    name: str
    value: ScoreValue
    source: str
    created_at: datetime
    comment: str | None = None
    experiment_id: str | None = None
    variant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "score", "trace_id": self.trace_id, "name": self.name,
            "value": self.value, "comment": self.comment, "source": self.source,
            "experiment_id": self.experiment_id, "variant": self.variant,
            "created_at": iso(self.created_at),
        }  # fmt: skip

    @property
    def category(self) -> str | None:
        return self.value if isinstance(self.value, str) else None

    @property
    def number(self) -> Decimal | None:
        """The value a mean adds up (true = 1, false = 0); None for a category."""
        if isinstance(self.value, str):
            return None
        return Decimal(int(self.value)) if isinstance(self.value, bool) else _decimal(self.value)


def parse_score(body: dict[str, Any]) -> tuple[str, ScoreValue, str | None, str]:
    """POST /monitor/traces/{id}/scores' name, value, comment and source, checked."""
    name = body.get("name")
    if not isinstance(name, str) or not _SCORE_NAME.match(name):
        raise invalid_value("name must be 1 to 64 letters, digits, '_', '.', ':' or '-'.", "name")
    value = body.get("value")
    if isinstance(value, str):
        value = checked_text(value, "value", MAX_CATEGORY_CHARS)
    elif not isinstance(value, bool | int | float) or value != value or abs(value) > 1e15:
        raise invalid_value("value must be a number, a boolean or a category string.", "value")
    comment = body.get("comment")
    if comment is not None:
        comment = checked_text(comment, "comment", MAX_COMMENT_CHARS)
    source = body.get("source", "api")
    if source not in SOURCES:
        raise invalid_value("source must be 'api' or 'evaluator'.", "source")
    return name, value, comment, str(source)


@dataclass(frozen=True, slots=True)
class ScoreCounter:
    """One of an experiment's score counters, as stored: a number's sum and count for a
    (variant, name), or one category's count (`category` set, `total` unused)."""

    variant: str
    name: str
    count: int
    total: Decimal = Decimal(0)
    category: str | None = None


def score_summary(counters: list[ScoreCounter]) -> dict[str, dict[str, dict[str, Any]]]:
    """{variant: {score name: {count, mean} and/or {categories: {category: count}}}}: a
    number's (or boolean's) mean over its count; a category's counts."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for counter in sorted(counters, key=lambda c: (c.variant, c.name, c.category or "")):
        entry = summary.setdefault(counter.variant, {}).setdefault(counter.name, {"count": 0})
        entry["count"] += counter.count
        if counter.category is None:
            entry["mean"] = float(counter.total / counter.count) if counter.count else None
        else:
            entry.setdefault("categories", {})[counter.category] = counter.count
    return summary


def _decimal(value: float | int) -> Decimal:
    return Decimal(str(value))
