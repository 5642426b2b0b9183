"""Prompt rules: slugs, templates (placeholders, escapes, errors), compilation (missing and
unused variables), tags (latest, production fallback), model blocks against the catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from switchboard.domain.catalog import Catalog, load_catalog
from switchboard.domain.prompt_models import ModelBlock, model_version, parse_model_block
from switchboard.domain.prompt_templates import Placeholder, parse_template
from switchboard.domain.prompts import (
    MAX_TEMPLATE_BYTES,
    Owner,
    Prompt,
    PromptVersion,
    Selector,
    check_slug,
    check_text,
    compile_version,
    parse_selector,
    select,
    settable_tag,
    tags_of,
)
from switchboard.errors import InvalidRequestError, NotFoundError

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def version(text: str, system: str | None = None, number: int = 1) -> PromptVersion:
    return PromptVersion("greeting", number, text, system, None, NOW)


def prompt(latest: int, **tags: int) -> Prompt:
    return Prompt(Owner("user", "usr_1"), "greeting", "", "", NOW, latest, tags)


@pytest.mark.parametrize("slug", ["a", "greeting", "my-prompt-2", "-", "x" * 64])
def test_good_slugs(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "Greeting", "my_prompt", "a b", "é", "x" * 65, 3, None])
def test_bad_slugs_are_400(slug: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check_slug(slug)
    assert (caught.value.param, caught.value.code) == ("slug", "invalid_slug")


def test_placeholders_allow_padding_and_escapes() -> None:
    template = parse_template("Hi {{name}}, {{ name }} and {{\tcity }}: \\{{literal}}", "text")
    assert template.variables == ("name", "city")
    assert Placeholder("city") in template.parts
    assert template.render({"name": "Ada", "city": "Paris"}) == (
        "Hi Ada, Ada and Paris: {{literal}}"
    )


def test_single_braces_and_closing_braces_are_text() -> None:
    template = parse_template('{"a": {"b": 1}} }} {x}', "text")
    assert template.variables == ()
    assert template.render({}) == '{"a": {"b": 1}} }} {x}'


@pytest.mark.parametrize("text", ["{{}}", "{{ 1x }}", "{{name", "{{first name}}", "a {{ b-c }}"])
def test_a_brace_pair_that_opens_no_placeholder_is_400(text: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_template(text, "systemText")
    assert (caught.value.param, caught.value.code) == ("systemText", "invalid_template")
    assert "offset" in caught.value.message


def test_compile_fills_system_then_user() -> None:
    compiled = compile_version(
        version("Tell {{who}} about {{topic}}.", "You are {{tone}}."),
        {"who": "Ada", "topic": "engines", "tone": "brief", "extra": 1, "also": "x"},
    )
    assert compiled.messages == [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "Tell Ada about engines."},
    ]
    assert compiled.unused == ("also", "extra")
    assert compiled.warning == "Unused variables: also, extra."


def test_compile_writes_numbers_and_booleans_as_json() -> None:
    compiled = compile_version(version("{{n}} {{f}} {{b}}"), {"n": 3, "f": 0.5, "b": True})
    assert compiled.messages == [{"role": "user", "content": "3 0.5 true"}]
    assert compiled.warning is None


def test_a_missing_variable_is_400_naming_it() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        compile_version(version("Hi {{name}}", "Speak {{language}}"), {"name": "Ada"})
    assert caught.value.param == "variables.language"
    assert caught.value.code == "missing_variable" and "'language'" in caught.value.message


@pytest.mark.parametrize("variables", [[], "x", 3])
def test_variables_must_be_an_object(variables: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        compile_version(version("Hi"), variables)
    assert caught.value.param == "variables"


def test_a_variable_of_another_type_is_400() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        compile_version(version("Hi {{name}}"), {"name": {"first": "Ada"}})
    assert caught.value.param == "variables.name"


def test_latest_cannot_be_moved_other_tags_can() -> None:
    assert settable_tag("production") == "production"
    assert settable_tag("staging") == "staging"
    with pytest.raises(InvalidRequestError) as caught:
        settable_tag("latest")
    assert caught.value.code == "tag_not_movable"
    with pytest.raises(InvalidRequestError):
        settable_tag("Prod!")


def test_selection_rules() -> None:
    tagged = prompt(3, production=2, staging=3)
    assert select(tagged, Selector()) == (2, "production", None)
    assert select(tagged, Selector(tag="staging")) == (3, "staging", None)
    assert select(tagged, Selector(tag="latest")) == (3, "latest", None)
    assert select(tagged, Selector(version=1)) == (1, None, None)
    number, tag, warning = select(prompt(3), Selector())
    assert (number, tag) == (3, "latest") and warning and "production" in warning
    assert tags_of(tagged) == {"latest": 3, "production": 2, "staging": 3}


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (Selector(version=4), "version_not_found"),
        (Selector(tag="canary"), "tag_not_found"),
    ],
)
def test_selecting_what_is_not_there_is_404(given: Selector, code: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        select(prompt(3), given)
    assert caught.value.code == code


def test_a_prompt_without_versions_serves_nothing() -> None:
    with pytest.raises(NotFoundError):
        select(prompt(0), Selector())


@pytest.mark.parametrize(
    ("version", "tag", "param"),
    [
        ("1", "production", "version"),
        ("0", None, "version"),
        ("x", None, "version"),
        (None, "Bad Tag", "tag"),
    ],
)
def test_bad_selectors_are_400(version: Any, tag: Any, param: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_selector(version, tag)
    assert caught.value.param == param


def test_model_block_from_the_catalog(catalog: Catalog) -> None:
    raw = {"model": "gpt-4o-mini", "parameters": {"temperature": 0.2, "max_tokens": 100}}
    block = parse_model_block(raw, catalog)
    assert block == ModelBlock("openai", "gpt-4o-mini", {"temperature": 0.2, "max_tokens": 100})
    assert parse_model_block({**raw, "provider": "openai"}, catalog) == block
    assert model_version(block, catalog) is None  # its upstream name is its id
    llama = parse_model_block({"model": "llama-3.1-8b-instruct"}, catalog)
    assert llama is not None
    assert model_version(llama, catalog) == "meta-llama/llama-3.1-8b-instruct"


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        ("gpt-4o-mini", "model"),
        ({"model": "no-such-model"}, "model.model"),
        ({"model": "local-embed"}, "model.model"),
        ({"model": "gpt-4o-mini", "provider": "bedrock"}, "model.provider"),
        ({"model": "gpt-4o-mini", "temperature": 1}, "model.temperature"),
        (
            {"model": "gpt-4o-mini", "parameters": {"temperature": 3}},
            "model.parameters.temperature",
        ),
        ({"model": "gpt-4o-mini", "parameters": {"top_p": "1"}}, "model.parameters.top_p"),
        ({"model": "gpt-4o-mini", "parameters": {"max_tokens": 0}}, "model.parameters.max_tokens"),
        (
            {"model": "gpt-4o-mini", "parameters": {"max_tokens": 20_000}},
            "model.parameters.max_tokens",
        ),
        ({"model": "gpt-4o-mini", "parameters": {"stream": True}}, "model.parameters.stream"),
        ({"model": "gpt-4o-mini", "parameters": []}, "model.parameters"),
    ],
)
def test_bad_model_blocks_are_400(catalog: Catalog, raw: Any, param: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_model_block(raw, catalog)
    assert caught.value.param == param


def test_a_template_larger_than_an_item_may_hold_is_400() -> None:
    assert check_text("x" * MAX_TEMPLATE_BYTES, "text")
    with pytest.raises(InvalidRequestError) as caught:
        check_text("é" * (MAX_TEMPLATE_BYTES // 2 + 1), "systemText")
    assert caught.value.param == "systemText"


def test_a_retired_model_is_400(catalog: Catalog) -> None:
    gone = replace(catalog.get("gpt-4o-mini"), retired_at=date(2000, 1, 1))
    with pytest.raises(InvalidRequestError) as caught:
        parse_model_block({"model": gone.id}, replace(catalog, models=(gone,)))
    assert (caught.value.param, caught.value.code) == ("model.model", "model_not_found")
