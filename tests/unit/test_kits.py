"""The kit and skill catalog, a kit's price, a run's limits and the classifier's rule."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain.catalog import CatalogError, load_catalog
from switchboard.domain.kit_runs import KitRunRequest, chat_request, classify
from switchboard.domain.kits import check_models, load_kit_catalog, parse_kit_catalog, with_skill
from switchboard.errors import InvalidRequestError, NotFoundError

KIT = {
    "id": "k",
    "description": "d",
    "model": "local-chat",
    "system_prompt": "s",
    "max_tokens": 10,
    "price_per_1k_tokens": "0.0004",
}
SKILL = {"id": "s", "name": "S", "description": "d", "system_prompt": "Be S."}


def test_the_builtin_catalog_checks_against_the_model_catalog() -> None:
    kits = check_models(load_kit_catalog(), load_catalog())
    assert [kit.id for kit in kits.kits] == ["text-gen", "code-assist", "summarizer", "classifier"]
    assert kits.default_skill is None
    assert kits.kit("classifier").labels == ("positive", "negative", "neutral")


def test_a_kit_costs_its_price_per_thousand_tokens_rounded_up_once() -> None:
    kit = load_kit_catalog().kit("text-gen")
    assert kit.cost_micro_usd(2_500) == 1_000  # $0.0004 per 1K is 400 micro-USD
    assert kit.cost_micro_usd(1) == 1
    assert kit.cost_micro_usd(0) == 0
    priced = kit.priced(load_catalog().get("local-chat"))
    for prompt, completion in [(1, 0), (7, 13), (1_999, 501), (12_345, 4_096)]:
        expected = kit.cost_micro_usd(prompt + completion)
        assert priced.cost_micro_usd(prompt, completion) == expected
    assert priced.id == "kit:text-gen" and priced.max_output_tokens == 4096


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price_per_1k_tokens": 0.0004}, "string"),
        ({"price_per_1k_tokens": "-1"}, "non-negative"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"id": "Bad Id"}, "id"),
        ({"labels": ["a", ""]}, "labels"),
        ({"system_prompt": ""}, "system_prompt"),
    ],
)
def test_a_malformed_kit_is_refused_with_where(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_kit_catalog({"kits": [KIT | change]})


def test_a_kit_must_name_a_catalog_chat_model() -> None:
    kits = parse_kit_catalog({"kits": [KIT | {"model": "local-embed"}]})
    with pytest.raises(CatalogError, match="chat model"):
        check_models(kits, load_catalog())


def test_duplicates_and_an_unknown_default_skill_are_refused() -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        parse_kit_catalog({"skills": [SKILL, SKILL]})
    with pytest.raises(CatalogError, match="default_skill"):
        parse_kit_catalog({"skills": [SKILL], "default_skill": "nope"})


def test_a_skill_leads_the_messages_and_a_default_applies_when_none_is_named() -> None:
    kits = parse_kit_catalog({"skills": [SKILL], "default_skill": "s"})
    data = {"messages": [{"role": "system", "content": "mine"}]}
    applied = with_skill(data, kits.skill_for(None))
    assert applied["messages"] == [{"role": "system", "content": "Be S."}, *data["messages"]]
    assert applied["skill"] == "s"
    assert with_skill(data, parse_kit_catalog({"skills": [SKILL]}).skill_for(None)) == data
    with pytest.raises(InvalidRequestError) as raised:
        kits.skill_for("other")
    assert raised.value.param == "skill" and raised.value.code == "unknown_skill"


def test_an_unknown_kit_is_kit_not_found() -> None:
    with pytest.raises(NotFoundError) as raised:
        load_kit_catalog().kit("nope")
    assert raised.value.code == "kit_not_found"


def test_a_runs_output_limit_is_the_kits_unless_lower() -> None:
    kit, model = load_kit_catalog().kit("classifier"), load_catalog().get("local-chat")
    run = KitRunRequest.model_validate({"kit": "classifier", "input": {"prompt": "Hi"}})
    chat = chat_request(kit, kit.priced(model), run)
    assert chat.max_tokens == 2048
    assert "Labels: positive, negative, neutral." in str(chat.messages[0].content)
    lower = run.model_copy(update={"config": run.config.model_copy(update={"max_tokens": 5})})
    assert chat_request(kit, kit.priced(model), lower).max_tokens == 5


@pytest.mark.parametrize(
    ("answer", "label", "scores"),
    [
        ("Positive", "positive", [1.0, 0.0, 0.0]),
        ("neutral, maybe negative", "negative", [0.0, 0.5, 0.5]),
        ("negative negative positive", "negative", [0.333333, 0.666667, 0.0]),
        ("I cannot tell", None, [0.333334, 0.333333, 0.333333]),
        ("nonpositive", None, [0.333334, 0.333333, 0.333333]),
    ],
)
def test_the_classifier_reads_the_labels_its_answer_names(
    answer: str, label: str | None, scores: list[float]
) -> None:
    labels = ("positive", "negative", "neutral")
    got_label, got = classify(answer, labels)
    assert got_label == label
    assert list(got.values()) == scores
    assert round(sum(got.values()), 6) == 1
