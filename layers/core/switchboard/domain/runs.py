"""An experiment run: every row of a dataset against every variant, on the batch engine.

    POST /monitor/experiments/{id}/runs {dataset: [{variables, idealOutput?, input?}] or a
        file id (JSON Lines of such rows), variants: [{prompt: {slug, version}, model?} or
        {model}], evaluators: [...] (domain/evaluators.py)}

A run writes one batch input line per (row, variant), custom_id `<run_id>:<row>:<variant>`,
with the experiment and the variant's prompt beside the body (`trace`: the line's trace
records them; the body itself is a plain chat completion). A prompt variant's messages are
its version compiled with the row's variables; a model variant sends the row's `input` (a
user message) or `messages`, else the first prompt variant's messages, with its own model.

    running    the batch runs its lines (progress: lines done of rows x variants)
    scoring    the batch ended; the evaluators score its completed lines
    completed  every line scored (a failed line has no score);  failed: the batch failed
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchboard.domain.evaluators import Evaluator
from switchboard.domain.traces import PromptRef, iso
from switchboard.domain.validation import invalid_value
from switchboard.errors import NotFoundError

RUN_PREFIX = "run_"
MAX_ROWS = 1_000
MAX_VARIANTS = 10
MAX_LINES = 10_000
# With an llm_judge, the judges' calls run (a few at a time) in the batch's finalize step,
# within its function's 15 minutes: at most this many lines are judged in one run.
MAX_JUDGED_LINES = 1_000
RUNNING, SCORING, COMPLETED, FAILED = "running", "scoring", "completed", "failed"


def new_run_id() -> str:
    return RUN_PREFIX + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class RunVariant:
    prompt: PromptRef | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt.to_dict() if self.prompt else None
        return {"prompt": prompt, "model": self.model}

    @classmethod
    def of(cls, data: dict[str, Any]) -> RunVariant:
        prompt = data.get("prompt")
        ref = PromptRef(str(prompt["slug"]), int(prompt["version"])) if prompt else None
        return cls(ref, data.get("model"))


@dataclass(frozen=True, slots=True)
class Row:
    variables: dict[str, Any]
    ideal: str | None = None
    input: str | None = None
    messages: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"variables": self.variables}
        extra = {"idealOutput": self.ideal, "input": self.input, "messages": self.messages}
        return data | {k: v for k, v in extra.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Run:
    id: str
    experiment_id: str
    owner_id: str
    variants: tuple[RunVariant, ...]
    evaluators: tuple[Evaluator, ...]
    rows: int
    created_at: datetime
    batch_id: str | None = None
    status: str = RUNNING
    scored: int = 0  # lines the evaluators have scored
    judge_failures: int = 0  # llm_judge replies that held no grade
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.rows * len(self.variants)

    def summary(self) -> dict[str, Any]:
        """What an experiment lists of its run (GET .../runs/{id} has its progress)."""
        return {"id": self.id, "status": self.status, "batch_id": self.batch_id,
                "total": self.total, "created_at": iso(self.created_at)}  # fmt: skip

    def to_dict(self, done: int) -> dict[str, Any]:
        return {
            "id": self.id, "object": "experiment.run", "experiment_id": self.experiment_id,
            "status": self.status, "progress": {"done": min(done, self.total), "total": self.total},
            "batch_id": self.batch_id, "variants": [v.to_dict() for v in self.variants],
            "evaluators": [e.to_dict() for e in self.evaluators], "scored": self.scored,
            "judge_failures": self.judge_failures, "error": self.error,
            "created_at": iso(self.created_at),
        }  # fmt: skip


def check_size(rows: int, variants: int, judged: bool) -> None:
    """A run's lines (rows x variants) within MAX_LINES, or MAX_JUDGED_LINES with a judge."""
    limit = MAX_JUDGED_LINES if judged else MAX_LINES
    if rows * variants > limit:
        why = " with an llm_judge evaluator" if judged else ""
        raise invalid_value(f"A run holds at most {limit} rows x variants{why}.", "dataset")


def rows_key(run: Run) -> str:
    """Where a run's rows are kept (the blob store) for its evaluators."""
    return f"experiments/{run.experiment_id}/runs/{run.id}/dataset.jsonl"


def run_not_found(run_id: str) -> NotFoundError:
    return NotFoundError(f"No run found with id '{run_id}'.", param="run_id", code="run_not_found")


def parse_rows(raw: object, param: str = "dataset") -> list[Row]:
    """A dataset's rows (a list, or a file's JSON Lines parsed into one), checked."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ROWS:
        raise invalid_value(f"{param} must hold 1 to {MAX_ROWS} rows, or be a file id.", param)
    return [_row(item, f"{param}[{i}]") for i, item in enumerate(raw)]


def rows_of_file(data: bytes) -> list[Any]:
    """The rows of a dataset file: one JSON object per line, blank lines skipped."""
    rows = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise invalid_value(
                    f"Line {number} of the dataset file is not JSON.", "dataset"
                ) from None
    return rows


def parse_variants(raw: object, param: str = "variants") -> list[RunVariant]:
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_VARIANTS:
        raise invalid_value(f"{param} must hold 1 to {MAX_VARIANTS} variants.", param)
    variants = [_variant(item, f"{param}[{i}]") for i, item in enumerate(raw)]
    for i, variant in enumerate(variants):
        if variant in variants[:i]:
            raise invalid_value(f"{param}[{i}] repeats an earlier variant.", f"{param}[{i}]")
    return variants


def custom_id(run_id: str, row: int, variant: int) -> str:
    return f"{run_id}:{row}:{variant}"


def parse_custom_id(value: str) -> tuple[str, int, int] | None:
    """(run id, row, variant) of a run's line; None for any other custom_id."""
    parts = value.split(":")
    if len(parts) != 3 or not parts[0].startswith(RUN_PREFIX):
        return None
    try:
        return parts[0], int(parts[1]), int(parts[2])
    except ValueError:
        return None


def line(
    run: Run, row: int, variant: int, body: dict[str, Any], prompt: PromptRef | None
) -> dict[str, Any]:
    """One batch input line of the run: a chat completion, and what its trace records."""
    trace: dict[str, Any] = {"experiment_id": run.experiment_id}
    if prompt is not None:
        trace["prompt"] = prompt.to_dict()
    return {"custom_id": custom_id(run.id, row, variant), "method": "POST",
            "url": "/v1/chat/completions", "body": body, "trace": trace}  # fmt: skip


def answer_text(output_line: dict[str, Any]) -> str | None:
    """The first choice's text in a batch output line; None for an error line."""
    response = output_line.get("response") or {}
    if output_line.get("error") is not None or response.get("status_code") != 200:
        return None
    choices = (response.get("body") or {}).get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content")
    return content if isinstance(content, str) else ""


def _row(raw: object, param: str) -> Row:
    if not isinstance(raw, dict):
        raise invalid_value(f"{param} must be an object {{variables, idealOutput?}}.", param)
    variables = raw.get("variables", {})
    if not isinstance(variables, dict):
        raise invalid_value(f"{param}.variables must be an object.", f"{param}.variables")
    ideal = raw.get("idealOutput")
    if ideal is not None and not isinstance(ideal, str):
        ideal = json.dumps(ideal)  # a structured ideal output is compared as JSON text
    text = raw.get("input")
    if text is not None and not isinstance(text, str):
        raise invalid_value(f"{param}.input must be a string.", f"{param}.input")
    messages = raw.get("messages")
    if messages is not None and not (isinstance(messages, list) and messages):
        raise invalid_value(f"{param}.messages must be a list of messages.", f"{param}.messages")
    return Row(variables, ideal, text, messages)


def _variant(raw: object, param: str) -> RunVariant:
    if not isinstance(raw, dict) or not raw.keys() <= {"prompt", "model"} or not raw:
        raise invalid_value(f"{param} must be {{prompt: {{slug, version}}}} or {{model}}.", param)
    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        raise invalid_value(f"{param}.model must be a model id.", f"{param}.model")
    prompt = raw.get("prompt")
    if prompt is None:
        if model is None:
            raise invalid_value(f"{param} needs a prompt or a model.", param)
        return RunVariant(None, model)
    if (
        not isinstance(prompt, dict)
        or not isinstance(prompt.get("slug"), str)
        or not isinstance(prompt.get("version"), int)
        or isinstance(prompt.get("version"), bool)
    ):
        raise invalid_value(f"{param}.prompt must be {{slug, version}}.", f"{param}.prompt")
    return RunVariant(PromptRef(prompt["slug"], prompt["version"]), model)
