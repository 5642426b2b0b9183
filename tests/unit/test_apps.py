"""Apps: config defaults and validation, model resolution, names and usage date ranges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from switchboard.domain.apps import (
    App,
    AppConfig,
    app_models,
    check_name,
    check_range,
    new_app_id,
    parse_config,
    parse_day,
    resolve_model,
)
from switchboard.domain.catalog import ModelType, parse_catalog
from switchboard.errors import InvalidRequestError, ModelNotFoundError, NotAllowedModelError

CATALOG = parse_catalog(
    {
        "providers": {"p": {"kind": "local"}},
        "models": [
            {"id": "chat-a", "type": "chat", "provider": "p"},
            {"id": "embed-a", "type": "embedding", "provider": "p"},
            {"id": "chat-b", "type": "chat", "provider": "p"},
            {
                "id": "video-a",
                "type": "video",
                "provider": "p",
                "durations": [4],
                "resolutions": ["720p"],
                "aspect_ratios": ["16:9"],
            },
        ],
    }
)


IMPLICIT = AppConfig()


def app_with(config: AppConfig = IMPLICIT) -> App:
    return App("app_1", "demo", "user_1", datetime(2026, 1, 1, tzinfo=UTC), config)


def invalid(body: dict[str, Any]) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        parse_config(body, CATALOG)
    return caught.value


def test_defaults_list_chat_and_video_models_in_catalog_order() -> None:
    defaults = AppConfig.defaults(CATALOG)
    assert defaults == AppConfig(None, None, ("chat-a", "chat-b", "video-a"), explicit=False)
    assert AppConfig().effective(CATALOG) == defaults


def test_empty_body_takes_every_default_but_is_explicit() -> None:
    config = parse_config({}, CATALOG)
    assert config == AppConfig(None, None, ("chat-a", "chat-b", "video-a"), explicit=True)
    assert config.effective(CATALOG) is config


def test_full_config_is_kept() -> None:
    body = {"defaultModel": "embed-a", "maxTokensPerRequest": 100_000, "allowedModels": ["embed-a"]}
    assert parse_config(body, CATALOG) == AppConfig("embed-a", 100_000, ("embed-a",), True)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"maxTokensPerRequest": 0}, "maxTokensPerRequest"),
        ({"maxTokensPerRequest": 100_001}, "maxTokensPerRequest"),
        ({"maxTokensPerRequest": "10"}, "maxTokensPerRequest"),
        ({"maxTokensPerRequest": 10.0}, "maxTokensPerRequest"),
        ({"maxTokensPerRequest": True}, "maxTokensPerRequest"),
        ({"allowedModels": []}, "allowedModels"),
        ({"allowedModels": "chat-a"}, "allowedModels"),
        ({"allowedModels": ["chat-a", 3]}, "allowedModels"),
        ({"allowedModels": ["chat-a", "chat-a"]}, "allowedModels"),
        ({"allowedModels": ["chat-a", "nope"]}, "allowedModels"),
        ({"defaultModel": "nope"}, "defaultModel"),
        ({"defaultModel": 1}, "defaultModel"),
        ({"defaultModel": "embed-a"}, "defaultModel"),  # not in the default allowedModels
        ({"defaultModel": "chat-b", "allowedModels": ["chat-a"]}, "defaultModel"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_configs_name_the_field(body: dict[str, Any], param: str) -> None:
    assert invalid(body).param == param


def test_resolve_under_defaults_accepts_every_model_video_included() -> None:
    app = app_with()
    assert resolve_model(app, CATALOG, "embed-a", ModelType.EMBEDDING).id == "embed-a"
    assert resolve_model(app, CATALOG, "chat-b", ModelType.CHAT).id == "chat-b"
    assert resolve_model(app, CATALOG, "video-a", ModelType.VIDEO).id == "video-a"
    assert [m.id for m in app_models(app, CATALOG)] == ["chat-a", "embed-a", "chat-b", "video-a"]


def test_allowed_models_may_list_video_models() -> None:
    config = parse_config({"allowedModels": ["chat-a", "video-a"]}, CATALOG)
    app = app_with(config)
    assert resolve_model(app, CATALOG, "video-a", ModelType.VIDEO).id == "video-a"
    with pytest.raises(NotAllowedModelError):
        resolve_model(app, CATALOG, "embed-a", ModelType.EMBEDDING)


@pytest.mark.parametrize("omitted", [None, ""])
def test_omitted_model_without_default_is_model_required(omitted: str | None) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        resolve_model(app_with(), CATALOG, omitted, ModelType.CHAT)
    assert (caught.value.param, caught.value.code) == ("model", "model_required")


def test_explicit_config_is_enforced_for_chat_and_embeddings() -> None:
    app = app_with(parse_config({"defaultModel": "chat-b", "allowedModels": ["chat-b"]}, CATALOG))
    assert resolve_model(app, CATALOG, None, ModelType.CHAT).id == "chat-b"
    assert resolve_model(app, CATALOG, "chat-b", ModelType.CHAT).id == "chat-b"
    for model, kind in (("chat-a", ModelType.CHAT), ("embed-a", ModelType.EMBEDDING)):
        with pytest.raises(NotAllowedModelError) as caught:
            resolve_model(app, CATALOG, model, kind)
        assert caught.value.code == "model_not_allowed" and "chat-b" in caught.value.message
    assert [m.id for m in app_models(app, CATALOG)] == ["chat-b"]
    with pytest.raises(ModelNotFoundError):
        resolve_model(app, CATALOG, "nope", ModelType.CHAT)


def test_default_model_of_another_kind_does_not_stand_in() -> None:
    config = parse_config(
        {"defaultModel": "chat-a", "allowedModels": ["chat-a", "embed-a"]}, CATALOG
    )
    with pytest.raises(InvalidRequestError) as caught:
        resolve_model(app_with(config), CATALOG, None, ModelType.EMBEDDING)
    assert caught.value.code == "model_required"


def test_a_stored_default_is_ignored_while_implicit() -> None:
    app = app_with(replace(AppConfig(), default_model="chat-a"))
    with pytest.raises(InvalidRequestError):
        resolve_model(app, CATALOG, None, ModelType.CHAT)


def test_names_are_stripped_and_bounded() -> None:
    assert check_name("  My app ") == "My app"
    assert check_name("x" * 200) == "x" * 200
    for bad in ("", "   ", None, 5, "x" * 201):
        with pytest.raises(InvalidRequestError) as caught:
            check_name(bad)
        assert caught.value.param == "name"


def test_app_ids_are_random_hex() -> None:
    first, second = new_app_id(), new_app_id()
    assert first != second and first.startswith("app_") and len(first) == 28
    int(first.removeprefix("app_"), 16)


@pytest.mark.parametrize("raw", [None, "", "2026-1-05", "20260105", "2026-02-30", "yesterday"])
def test_days_must_be_yyyy_mm_dd(raw: str | None) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_day(raw, "startDate")
    assert caught.value.param == "startDate"


def test_ranges_are_ordered_and_at_most_366_days() -> None:
    assert parse_day("2024-02-29", "endDate") == date(2024, 2, 29)
    check_range(date(2024, 1, 1), date(2024, 12, 31))  # 366 days, both ends included
    check_range(date(2024, 1, 1), date(2024, 1, 1))
    for start, end in ((date(2024, 1, 2), date(2024, 1, 1)), (date(2023, 1, 1), date(2024, 1, 2))):
        with pytest.raises(InvalidRequestError) as caught:
            check_range(start, end)
        assert caught.value.param == "endDate"
