"""Experiments' pure rules: evaluators, variant naming, score aggregation, a run's rows and
lines, and a chat body made from a prompt."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from switchboard.domain.batch_lines import Malformed, parse_line
from switchboard.domain.batches import Endpoint
from switchboard.domain.catalog import load_catalog
from switchboard.domain.evaluators import (
    Evaluator,
    evaluate,
    judge_messages,
    judge_score,
    parse_evaluators,
)
from switchboard.domain.experiments import (
    Score,
    ScoreCounter,
    describe_variant,
    parse_experiment,
    parse_score,
    score_summary,
    take_experiment,
    variant_of,
)
from switchboard.domain.prompted_chat import take_prompt, with_prompt
from switchboard.domain.runs import (
    Run,
    RunVariant,
    answer_text,
    check_size,
    custom_id,
    line,
    parse_custom_id,
    parse_rows,
    parse_variants,
    rows_of_file,
)
from switchboard.domain.traces import PromptRef
from switchboard.errors import InvalidRequestError

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


# --- evaluators ---------------------------------------------------------------------------


def test_exact_match_ignores_surrounding_whitespace_only() -> None:
    exact = Evaluator("exact_match", "exact_match")
    assert evaluate(exact, " Paris\n", "Paris") is True
    assert evaluate(exact, "paris", "Paris") is False
    assert evaluate(exact, "Paris", None) is None  # no idealOutput: not scored


def test_contains_looks_for_the_ideal_output_in_the_answer() -> None:
    contains = Evaluator("contains", "contains")
    assert evaluate(contains, "The capital is Paris.", "Paris") is True
    assert evaluate(contains, "The capital is Lyon.", "Paris") is False
    assert evaluate(contains, "anything", None) is None


def test_regex_searches_and_json_valid_parses() -> None:
    regex = Evaluator("regex", "regex", pattern=r"\d{3}-\d{4}")
    assert evaluate(regex, "call 555-1234 now", None) is True
    assert evaluate(regex, "no number", None) is False
    json_valid = Evaluator("json_valid", "json_valid")
    assert evaluate(json_valid, '{"a": [1, 2]}', None) is True
    assert evaluate(json_valid, "{'a': 1}", None) is False


def test_the_judge_is_not_a_pure_evaluator() -> None:
    with pytest.raises(ValueError):
        evaluate(Evaluator("llm_judge", "llm_judge", model="m", rubric="r"), "x", None)


@pytest.mark.parametrize(
    ("reply", "score"),
    [("7", 0.7), (" 10 ", 1.0), ("0", 0.0), ("Score: 8", 0.8), ("6/10", 0.6), ("7.5.", 0.75)],
)
def test_a_judge_reply_that_is_a_grade_is_scored_over_ten(reply: str, score: float) -> None:
    assert judge_score(reply) == score


@pytest.mark.parametrize("reply", ["", "eleven", "11", "I would say 7", "7 because it is fine"])
def test_a_judge_reply_that_is_no_grade_scores_nothing(reply: str) -> None:
    assert judge_score(reply) is None


def test_the_judge_is_told_the_rubric_the_request_the_answer_and_the_ideal() -> None:
    judge = Evaluator("llm_judge", "helpful", model="local-chat", rubric="Be polite.")
    system, user = judge_messages(judge, "Where is it?", "Here.", "Over there.")
    assert system["role"] == "system" and "0 (worst) to 10 (best)" in system["content"]
    for part in ("Be polite.", "Where is it?", "Here.", "Over there."):
        assert part in user["content"]
    assert "Ideal answer" not in judge_messages(judge, "q", "a", None)[1]["content"]


def test_evaluators_are_checked_and_named_after_their_type() -> None:
    parsed = parse_evaluators(
        [
            {"type": "exact_match"},
            {"type": "regex", "pattern": "^a"},
            {"type": "llm_judge", "model": "local-chat", "rubric": "r", "name": "judge"},
        ]
    )
    assert [e.name for e in parsed] == ["exact_match", "regex", "judge"]
    assert parse_evaluators(None) == []


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        ([{"type": "bleu"}], "evaluators[0].type"),
        ([{"type": "regex"}], "evaluators[0].pattern"),
        ([{"type": "regex", "pattern": "("}], "evaluators[0].pattern"),
        ([{"type": "llm_judge", "rubric": "r"}], "evaluators[0].model"),
        ([{"type": "llm_judge", "model": "m"}], "evaluators[0].rubric"),
        ([{"type": "contains"}, {"type": "contains"}], "evaluators"),
        ("exact_match", "evaluators"),
    ],
)
def test_wrong_evaluators_are_400_naming_the_field(raw: object, param: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_evaluators(raw)
    assert caught.value.param == param


# --- variants and scores ------------------------------------------------------------------


def test_a_variant_is_the_prompt_version_or_else_the_model() -> None:
    assert variant_of(PromptRef("reply", 3), "local-chat") == "prompt:reply@3"
    assert variant_of(None, "local-chat") == "model:local-chat"
    assert describe_variant("prompt:reply@3") == {
        "variant": "prompt:reply@3",
        "prompt": {"slug": "reply", "version": 3},
        "model": None,
    }
    assert describe_variant("model:local-chat")["model"] == "local-chat"


def test_score_summary_means_numbers_and_booleans_and_counts_categories() -> None:
    counters = [
        ScoreCounter("model:a", "accuracy", 4, Decimal(3)),  # booleans: 3 of 4 true
        ScoreCounter("model:a", "quality", 2, Decimal("1.5")),
        ScoreCounter("model:a", "tone", 3, category="polite"),
        ScoreCounter("model:a", "tone", 1, category="rude"),
        ScoreCounter("model:b", "accuracy", 2, Decimal(0)),
    ]
    assert score_summary(counters) == {
        "model:a": {
            "accuracy": {"count": 4, "mean": 0.75},
            "quality": {"count": 2, "mean": 0.75},
            "tone": {"count": 4, "categories": {"polite": 3, "rude": 1}},
        },
        "model:b": {"accuracy": {"count": 2, "mean": 0.0}},
    }


def test_a_score_adds_true_as_one_and_keeps_a_category_apart() -> None:
    def score(value: float | bool | str) -> Score:
        return Score("s", "tr", "n", value, "api", NOW)

    assert score(True).number == Decimal(1) and score(False).number == Decimal(0)
    assert score(0.25).number == Decimal("0.25") and score(3).number == Decimal(3)
    assert score("good").number is None and score("good").category == "good"


def test_scores_and_experiments_are_checked() -> None:
    assert parse_score({"name": "accuracy", "value": True}) == ("accuracy", True, None, "api")
    assert parse_score({"name": "q", "value": 0.5, "comment": "ok", "source": "evaluator"})[3] == (
        "evaluator"
    )
    for body, param in [
        ({"name": "a b", "value": 1}, "name"),
        ({"name": "a", "value": None}, "value"),
        ({"name": "a", "value": [1]}, "value"),
        ({"name": "a", "value": float("nan")}, "value"),
        ({"name": "a", "value": 1, "source": "human"}, "source"),
    ]:
        with pytest.raises(InvalidRequestError) as caught:
            parse_score(body)
        assert caught.value.param == param
    assert parse_experiment({"featureSlug": "support", "name": "Tone"}) == ("support", "Tone", None)
    with pytest.raises(InvalidRequestError) as caught:
        parse_experiment({"featureSlug": "has space", "name": "x"})
    assert caught.value.param == "featureSlug"


def test_the_experiment_field_is_taken_out_of_a_body() -> None:
    body, joined = take_experiment({"model": "m", "experiment": {"id": "exp_1"}})
    assert body == {"model": "m"} and joined == "exp_1"
    assert take_experiment({"model": "m"}) == ({"model": "m"}, None)
    with pytest.raises(InvalidRequestError) as caught:
        take_experiment({"experiment": "exp_1"})
    assert caught.value.param == "experiment"


# --- a chat body made from a prompt -------------------------------------------------------


PROMPT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi Ada"}]
MODEL = {"provider": "local", "model": "local-chat", "parameters": {"temperature": 0.2,
                                                                     "max_tokens": 50}}  # fmt: skip


def test_the_prompt_leads_the_messages_and_gives_its_model_and_parameters() -> None:
    data, ref = take_prompt(
        {"prompt": {"slug": "s"}, "messages": [{"role": "user", "content": "More"}]}
    )
    assert ref == {"slug": "s"} and "prompt" not in data
    body = with_prompt(data, PROMPT, MODEL)
    assert [m["content"] for m in body["messages"]] == ["Be brief.", "Hi Ada", "More"]
    assert body["model"] == "local-chat" and body["temperature"] == 0.2 and body["max_tokens"] == 50


def test_the_request_s_own_model_and_parameters_win() -> None:
    body = with_prompt(
        {"model": "other", "temperature": 1.0, "max_completion_tokens": 9, "messages": []},
        PROMPT,
        MODEL,
    )
    assert body["model"] == "other" and body["temperature"] == 1.0
    assert "max_tokens" not in body  # the body's own output limit, under its other name
    assert body["messages"] == PROMPT


def test_a_prompt_without_a_model_leaves_the_body_s_model_to_the_request() -> None:
    assert with_prompt({}, PROMPT, None) == {"messages": PROMPT}
    assert with_prompt({"model": ""}, PROMPT, MODEL)["model"] == "local-chat"  # the SDKs' ""
    assert with_prompt({"messages": "x"}, PROMPT, MODEL) == {"messages": "x"}  # for validation


# --- a run's rows and lines ---------------------------------------------------------------


def test_rows_come_from_a_list_or_a_json_lines_file() -> None:
    rows = parse_rows(
        rows_of_file(b'{"variables": {"x": 1}, "idealOutput": "a"}\n\n{"input": "q"}\n')
    )
    assert [(r.variables, r.ideal, r.input) for r in rows] == [
        ({"x": 1}, "a", None),
        ({}, None, "q"),
    ]
    with pytest.raises(InvalidRequestError):
        parse_rows([])
    with pytest.raises(InvalidRequestError) as caught:
        parse_rows([{"variables": []}])
    assert caught.value.param == "dataset[0].variables"


def test_variants_are_a_prompt_version_or_a_model_and_never_twice() -> None:
    variants = parse_variants([{"prompt": {"slug": "s", "version": 2}}, {"model": "local-chat"}])
    assert variants == [RunVariant(PromptRef("s", 2)), RunVariant(None, "local-chat")]
    for raw, param in [
        ([{"model": "m"}, {"model": "m"}], "variants[1]"),
        ([{"prompt": {"slug": "s"}}], "variants[0].prompt"),
        ([{"tool": 1}], "variants[0]"),
        ([], "variants"),
    ]:
        with pytest.raises(InvalidRequestError) as caught:
            parse_variants(raw)
        assert caught.value.param == param


def test_a_run_line_names_its_place_and_what_its_trace_records() -> None:
    run = Run("run_1", "exp_1", "u", (RunVariant(PromptRef("s", 2)),), (), 1, NOW)
    made = line(run, 4, 0, {"model": "m", "messages": []}, PromptRef("s", 2))
    assert made["custom_id"] == custom_id("run_1", 4, 0) == "run_1:4:0"
    assert made["trace"] == {"experiment_id": "exp_1", "prompt": {"slug": "s", "version": 2}}
    assert parse_custom_id("run_1:4:0") == ("run_1", 4, 0)
    assert parse_custom_id("mine-1") is None and parse_custom_id("run_1:x:0") is None
    assert run.to_dict(done=9)["progress"] == {"done": 1, "total": 1}


def test_the_answer_of_an_output_line_and_none_of_an_error_line() -> None:
    ok = {"response": {"status_code": 200, "body": {"choices": [{"message": {"content": "hi"}}]}},
          "error": None}  # fmt: skip
    assert answer_text(ok) == "hi"
    assert answer_text({"response": None, "error": {"code": "x"}}) is None


def test_a_run_line_s_trace_fields_are_read_and_never_sent_upstream() -> None:
    catalog = load_catalog()
    run = Run("run_1", "exp_1", "u", (RunVariant(PromptRef("s", 2)),), (), 1, NOW)
    body = {"model": "local-chat", "messages": [{"role": "user", "content": "hi"}]}
    raw = json.dumps(line(run, 0, 0, body, PromptRef("s", 2))).encode()
    parsed = parse_line(1, raw, Endpoint.CHAT, catalog)
    assert not isinstance(parsed, Malformed)
    assert (parsed.experiment_id, parsed.prompt) == ("exp_1", ("s", 2))
    assert "trace" not in parsed.body.model_dump(exclude_none=True)
    plain = json.dumps({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
                        "body": body, "trace": {"prompt": {"slug": 1}}}).encode()  # fmt: skip
    other = parse_line(1, plain, Endpoint.CHAT, catalog)
    assert not isinstance(other, Malformed) and (other.experiment_id, other.prompt) == (None, None)


def test_a_run_is_bounded_and_more_tightly_with_a_judge() -> None:
    check_size(1_000, 10, judged=False)
    check_size(100, 10, judged=True)
    for rows, judged in ((1_001, False), (101, True)):
        with pytest.raises(InvalidRequestError) as caught:
            check_size(rows, 10, judged=judged)
        assert caught.value.param == "dataset"
