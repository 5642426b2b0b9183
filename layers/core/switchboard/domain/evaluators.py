"""The built-in evaluators an experiment run scores each output with, as pure functions.

    exact_match   the output equals the row's idealOutput (surrounding whitespace aside)
    contains      the output contains the row's idealOutput
    regex         the output matches `pattern` (re.search)
    json_valid    the output parses as JSON
    llm_judge     a metered chat call to `model`, asked to grade the output by `rubric`
                  from 0 to 10; the score is that grade / 10 (a number 0..1)

Each gives a boolean (llm_judge a number), recorded as a score named after its type (or
the evaluator's own `name`). exact_match and contains skip a row without idealOutput; a
judge whose reply is not a grade records nothing (the run counts it in `judge_failures`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from switchboard.domain.validation import checked_text, invalid_value

TYPES = ("exact_match", "contains", "regex", "json_valid", "llm_judge")
MAX_EVALUATORS = 10
MAX_PATTERN_CHARS = 500
MAX_RUBRIC_CHARS = 4_000
JUDGE_MAX_TOKENS = 8
_GRADE = re.compile(r"^\s*(?:score\s*:?\s*)?(\d{1,2}(?:\.\d+)?)\s*(?:/\s*10)?\s*\.?\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Evaluator:
    type: str
    name: str
    pattern: str | None = None
    model: str | None = None
    rubric: str | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {"pattern": self.pattern, "model": self.model, "rubric": self.rubric}
        return {"type": self.type, "name": self.name} | {
            k: v for k, v in extra.items() if v is not None
        }

    @property
    def judged(self) -> bool:
        return self.type == "llm_judge"


def parse_evaluators(raw: object, param: str = "evaluators") -> list[Evaluator]:
    """The run's evaluators, checked (400 naming the first wrong field); names unique."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_EVALUATORS:
        raise invalid_value(
            f"{param} must be a list of at most {MAX_EVALUATORS} evaluators.", param
        )
    evaluators = [parse_evaluator(item, f"{param}[{i}]") for i, item in enumerate(raw)]
    names = [e.name for e in evaluators]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise invalid_value(f"Two evaluators are named {name!r}: give one a name.", param)
    return evaluators


def parse_evaluator(raw: object, param: str) -> Evaluator:
    if not isinstance(raw, dict) or raw.get("type") not in TYPES:
        raise invalid_value(f"{param}.type must be one of {', '.join(TYPES)}.", f"{param}.type")
    kind = str(raw["type"])
    name = checked_text(raw.get("name", kind), f"{param}.name", 64)
    if kind == "regex":
        return Evaluator(kind, name, pattern=_pattern(raw.get("pattern"), f"{param}.pattern"))
    if kind == "llm_judge":
        model = raw.get("model")
        if not isinstance(model, str) or not model:
            raise invalid_value(f"{param}.model must name a chat model.", f"{param}.model")
        rubric = checked_text(raw.get("rubric"), f"{param}.rubric", MAX_RUBRIC_CHARS)
        return Evaluator(kind, name, model=model, rubric=rubric)
    return Evaluator(kind, name)


def evaluate(evaluator: Evaluator, output: str, ideal: str | None) -> bool | None:
    """The score of a pure evaluator; None when it does not apply (no idealOutput)."""
    if evaluator.type == "exact_match":
        return None if ideal is None else output.strip() == ideal.strip()
    if evaluator.type == "contains":
        return None if ideal is None else ideal in output
    if evaluator.type == "regex":
        assert evaluator.pattern is not None
        return re.search(evaluator.pattern, output) is not None
    if evaluator.type == "json_valid":
        return _parses(output)
    raise ValueError(f"{evaluator.type} is not a pure evaluator")


def judge_messages(
    evaluator: Evaluator, request: str, output: str, ideal: str | None
) -> list[dict[str, str]]:
    """What llm_judge asks its model: grade `output` (the answer to `request`) by the
    rubric, with the ideal answer if the row has one, replying with a number only."""
    parts = [f"Rubric:\n{evaluator.rubric}", f"Request:\n{request}", f"Answer:\n{output}"]
    if ideal is not None:
        parts.append(f"Ideal answer:\n{ideal}")
    system = (
        "You grade answers. Reply with one integer from 0 (worst) to 10 (best) that grades "
        "the answer by the rubric, and nothing else."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def judge_score(reply: str) -> float | None:
    """The grade in a judge's reply, as a number from 0 to 1; None if the reply is no grade
    (anything but a number from 0 to 10, optionally written `score: 7` or `7/10`)."""
    match = _GRADE.match(reply)
    if match is None:
        return None
    grade = float(match.group(1))
    return round(grade / 10, 4) if 0 <= grade <= 10 else None


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _pattern(raw: object, param: str) -> str:
    pattern = checked_text(raw, param, MAX_PATTERN_CHARS)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise invalid_value(f"{param} is not a valid regular expression: {exc}.", param) from None
    return pattern
