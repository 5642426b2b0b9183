"""The model catalog: parsing, checking, and exact costs."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.domain.catalog import (
    CatalogError,
    ModelType,
    ProviderKind,
    load_catalog,
    parse_catalog,
)
from switchboard.errors import ModelNotFoundError

PROVIDERS = {"p": {"kind": "openai_compatible", "base_url": "http://x/v1/"}}


def catalog_with(**model: Any) -> dict[str, Any]:
    spec = {"id": "m", "type": "chat", "provider": "p"} | model
    return {"providers": PROVIDERS, "models": [spec]}


def test_builtin_catalog_covers_every_type_and_provider_kind() -> None:
    catalog = load_catalog()
    assert {m.type for m in catalog.models} == set(ModelType)
    assert {p.kind for p in catalog.providers.values()} == set(ProviderKind)
    assert catalog.get("local-chat").provider.kind is ProviderKind.LOCAL


def test_prices_are_exact_micro_usd_and_costs_round_up_once() -> None:
    entry = parse_catalog(
        catalog_with(input_price_per_mtok="0.15", output_price_per_mtok="0.600001")
    ).get("m")
    assert entry.input_micro_usd_per_mtok == 150_000
    assert entry.output_micro_usd_per_mtok == 600_001
    # 1000 x 150000 + 500 x 600001 = 450000500 -> /1e6 = 450.0005 -> 451 micro-USD
    assert entry.cost_micro_usd(1000, 500) == 451
    assert entry.cost_micro_usd(0, 0) == 0
    assert entry.cost_micro_usd(1, 0) == 1  # a fraction of a micro-USD still costs one
    assert parse_catalog(catalog_with()).get("m").cost_micro_usd(10**6, 10**6) == 0


def test_base_url_is_normalised() -> None:
    assert parse_catalog(catalog_with()).providers["p"].base_url == "http://x/v1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input_price_per_mtok": 0.15}, "string"),
        ({"input_price_per_mtok": "abc"}, "decimal"),
        ({"input_price_per_mtok": "-1"}, "non-negative"),
        ({"input_price_per_mtok": "0.0000001"}, "six decimals"),
        ({"provider": "nope"}, "provider"),
        ({"type": "audio"}, "type"),
        ({"id": "has/slash"}, "id"),
        ({"context_window": 0}, "positive"),
        ({"max_output_tokens": "many"}, "positive"),
    ],
)
def test_malformed_entries_are_reported(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(catalog_with(**change))


def test_duplicates_and_bad_providers_are_reported() -> None:
    data = catalog_with()
    data["models"].append(dict(data["models"][0]))
    with pytest.raises(CatalogError, match="duplicate"):
        parse_catalog(data)
    with pytest.raises(CatalogError, match="base_url"):
        parse_catalog({"providers": {"p": {"kind": "openai_compatible"}}})
    with pytest.raises(CatalogError, match="kind"):
        parse_catalog({"providers": {"p": {"kind": "magic"}}})


def test_unknown_model_is_model_not_found() -> None:
    with pytest.raises(ModelNotFoundError) as error:
        load_catalog().get("nope")
    assert error.value.code == "model_not_found" and error.value.param == "model"


def test_unreadable_file(tmp_path: Any) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("[[models]\n")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(bad)
