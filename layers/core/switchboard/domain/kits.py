"""The kit and skill catalog: task presets over the model catalog, declared as data.

One file (catalog/kits.toml in this package, or the file named by the KIT_CATALOG setting)
holds both. A kit names a chat model, a system prompt, an output limit and a price per
1,000 tokens; a skill names a system prompt, and the built-in tools it turns on.

A kit run costs ceil(total_tokens x P / 1,000) micro-USD, P being the kit's price per 1K
tokens in micro-USD. That is the model catalog's rule with P x 1,000 micro-USD per million
tokens for input and output alike, so a kit is billed as its model re-priced (`Kit.priced`)
and the Meter's usual hold and settlement apply unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from switchboard.domain.catalog import (
    Catalog,
    CatalogError,
    ModelEntry,
    ModelType,
    read_catalog_file,
)
from switchboard.errors import InvalidRequestError, NotFoundError

DEFAULT_KIT_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "kits.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_NANO = Decimal(1_000_000_000)


@dataclass(frozen=True, slots=True)
class Kit:
    """A ready-made task: a chat model, its system prompt, a token budget and a price."""

    id: str
    description: str
    model: str  # a chat model of the model catalog
    system_prompt: str
    max_tokens: int
    nano_usd_per_1k: int  # the price per 1,000 tokens, in nano-USD (exact to nine decimals)
    labels: tuple[str, ...] = ()  # a classifier's default label set; empty: not a classifier

    @property
    def price_per_1k_tokens(self) -> Decimal:
        return (Decimal(self.nano_usd_per_1k) / _NANO).normalize()

    @property
    def classifier(self) -> bool:
        return bool(self.labels)

    def cost_micro_usd(self, total_tokens: int) -> int:
        """ceil(total_tokens x P / 1,000), P in micro-USD per 1K tokens: integers, rounded once."""
        return -(-total_tokens * self.nano_usd_per_1k // 1_000_000)

    def priced(self, model: ModelEntry) -> ModelEntry:
        """The kit's model at the kit's price (the same per input and output token), under
        the kit's own name in the ledger: what the Meter holds and settles."""
        per_mtok = self.nano_usd_per_1k  # nano-USD per 1K = micro-USD per million
        return replace(
            model,
            id=f"kit:{self.id}",
            input_micro_usd_per_mtok=per_mtok,
            output_micro_usd_per_mtok=per_mtok,
            discount_ppm=0,
            max_output_tokens=self.max_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "kit",
            "description": self.description,
            "max_tokens": self.max_tokens,
            "price_per_1k_tokens_usd": format(self.price_per_1k_tokens, "f"),
        }


@dataclass(frozen=True, slots=True)
class Skill:
    """A system prompt a chat request puts first, and the built-in tools it turns on."""

    id: str
    name: str
    description: str
    system_prompt: str
    tools: tuple[str, ...] = ()  # built-in tools the skill turns on (the tool loop reads it)

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "description": self.description}


@dataclass(frozen=True, slots=True)
class KitCatalog:
    """The kits and skills a deployment offers, and the skill of a chat that names none."""

    kits: tuple[Kit, ...]
    skills: tuple[Skill, ...]
    default_skill: str | None = None  # applied to chat requests that name no skill

    def kit(self, kit_id: str) -> Kit:
        for kit in self.kits:
            if kit.id == kit_id:
                return kit
        raise NotFoundError(
            f"The kit '{kit_id}' does not exist.", param="kit", code="kit_not_found"
        )

    def skill(self, skill_id: str) -> Skill:
        for skill in self.skills:
            if skill.id == skill_id:
                return skill
        raise InvalidRequestError(
            f"Unknown skill '{skill_id}'; GET /skills lists them.",
            param="skill",
            code="unknown_skill",
        )

    def skill_for(self, requested: Any) -> Skill | None:
        """The skill a chat request asks for (`skill`), else the catalog's default, if any.
        400 unknown_skill for a name the catalog lacks, or a value that is not a name."""
        if requested is None:
            return self.skill(self.default_skill) if self.default_skill else None
        if not isinstance(requested, str):
            raise InvalidRequestError(
                "skill must be a string.", param="skill", code="unknown_skill"
            )
        return self.skill(requested)


def with_skill(data: dict[str, Any], skill: Skill | None) -> dict[str, Any]:
    """A chat request's body with the skill's system prompt as its first message, before the
    caller's own system message, and `skill` naming it (the upstream never receives it)."""
    if skill is None:
        return data
    messages = data.get("messages")
    if not isinstance(messages, list):
        return data  # validation reports it
    preset = {"role": "system", "content": skill.system_prompt}
    return data | {"messages": [preset, *messages], "skill": skill.id}


def check_models(kits: KitCatalog, catalog: Catalog) -> KitCatalog:
    """The kits, each naming a chat model the model catalog has (else CatalogError)."""
    for kit in kits.kits:
        model = catalog.find(kit.model)
        if model is None or model.type is not ModelType.CHAT:
            raise CatalogError(f"kit {kit.id!r}: model {kit.model!r} is not a catalog chat model")
    return kits


def load_kit_catalog(path: str | Path | None = None) -> KitCatalog:
    return parse_kit_catalog(read_catalog_file(Path(path) if path else DEFAULT_KIT_CATALOG, "kit"))


def parse_kit_catalog(data: dict[str, Any]) -> KitCatalog:
    kits = tuple(_kit(index, spec) for index, spec in enumerate(data.get("kits", [])))
    skills = tuple(_skill(index, spec) for index, spec in enumerate(data.get("skills", [])))
    for kind, ids in (("kit", [k.id for k in kits]), ("skill", [s.id for s in skills])):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise CatalogError(f"duplicate {kind} id {duplicates[0]!r}")
    default = data.get("default_skill")
    if default is not None and default not in {skill.id for skill in skills}:
        raise CatalogError(f"default_skill {default!r} is not a skill of this catalog")
    return KitCatalog(kits=kits, skills=skills, default_skill=default)


def _kit(index: int, spec: dict[str, Any]) -> Kit:
    kit_id = _id(f"kits[{index}]", spec)
    where = f"kit {kit_id!r}"
    labels = spec.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise CatalogError(f"{where}: labels must be a list of non-empty strings")
    max_tokens = spec.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        raise CatalogError(f"{where}: max_tokens must be a positive integer")
    return Kit(
        id=kit_id,
        description=_text(where, spec, "description"),
        model=_text(where, spec, "model"),
        system_prompt=_text(where, spec, "system_prompt"),
        max_tokens=max_tokens,
        nano_usd_per_1k=_price(where, spec.get("price_per_1k_tokens")),
        labels=tuple(labels),
    )


def _skill(index: int, spec: dict[str, Any]) -> Skill:
    skill_id = _id(f"skills[{index}]", spec)
    where = f"skill {skill_id!r}"
    tools = spec.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(x, str) and x for x in tools):
        raise CatalogError(f"{where}: tools must be a list of tool names")
    return Skill(
        id=skill_id,
        name=_text(where, spec, "name"),
        description=_text(where, spec, "description"),
        system_prompt=_text(where, spec, "system_prompt"),
        tools=tuple(tools),
    )


def _id(where: str, spec: dict[str, Any]) -> str:
    value = spec.get("id")
    if not isinstance(value, str) or not _ID.match(value):
        raise CatalogError(f"{where}: id {value!r} must match {_ID.pattern}")
    return value


def _text(where: str, spec: dict[str, Any], key: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: {key} must be a non-empty string")
    return value


def _price(where: str, raw: Any) -> int:
    if not isinstance(raw, str):
        raise CatalogError(f'{where}: price_per_1k_tokens must be a string such as "0.0004"')
    try:
        nano = Decimal(raw) * _NANO
    except InvalidOperation as exc:
        raise CatalogError(f"{where}: price_per_1k_tokens {raw!r} is not a number") from exc
    if not nano.is_finite() or nano < 0 or nano != nano.to_integral_value():
        raise CatalogError(f"{where}: price_per_1k_tokens must be non-negative, nine decimals")
    return int(nano)
