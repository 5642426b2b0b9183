"""The model catalog: every public model id, the provider that serves it, its prices and limits.

The catalog is data (catalog/models.toml in this package, or the file named by the
MODEL_CATALOG setting); changing it needs no code change. Prices are USD per million
tokens, written as decimal strings and held as integer micro-USD per million tokens,
so that costs are exact.

A model may give batch lines a discount (`batch_discount`, a fraction such as "0.5", held
as parts per million): a batch line costs ceil((prompt x input price + completion x output
price) x (1 - discount) / 1,000,000) micro-USD, rounded once, on the discounted sum.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from switchboard.domain.clock import utcnow
from switchboard.domain.video_models import VideoCatalogError, VideoOptions, parse_video_options
from switchboard.errors import ModelNotFoundError

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "models.toml"
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_MICRO = Decimal(1_000_000)
PPM = 1_000_000  # parts per million: a discount of 1,000,000 would make a model free


class ModelType(StrEnum):
    CHAT = "chat"
    EMBEDDING = "embedding"
    VIDEO = "video"


class ProviderKind(StrEnum):
    LOCAL = "local"
    OPENAI_COMPATIBLE = "openai_compatible"
    BEDROCK = "bedrock"


class CatalogError(ValueError):
    """The catalog file is malformed: raised when it is loaded, never per request."""


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """How to reach one upstream. `api_key` names the key, never holds it: an environment
    variable of that name, else that field of the UPSTREAM_KEYS_SECRET secret."""

    name: str
    kind: ProviderKind
    base_url: str = ""
    api_key: str = ""
    region: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One model of the catalog: its upstream, its prices and its life."""

    id: str
    name: str
    type: ModelType
    provider: ProviderConfig
    upstream_model: str
    input_micro_usd_per_mtok: int
    output_micro_usd_per_mtok: int
    context_window: int | None = None
    max_output_tokens: int | None = None
    dimensions: int | None = None  # embeddings: the native vector size
    supports_dimensions: bool = False  # embeddings: may be shortened on request
    created: int = 1_735_689_600  # 2025-01-01T00:00:00Z unless the catalog says otherwise
    batch_discount_ppm: int = 0  # what batch lines are let off, in parts per million
    discount_ppm: int = 0  # the discount these prices carry: 0, or batch_discount_ppm
    video: VideoOptions | None = None  # video models: price per second, durations, sizes
    deprecated_at: date | None = None  # still served; clients are told to move
    retired_at: date | None = None  # from this UTC day on, no longer served
    successor: str | None = None  # the model to move to

    def retired(self, today: date) -> bool:
        return self.retired_at is not None and today >= self.retired_at

    def cost_micro_usd(self, prompt_tokens: int, completion_tokens: int) -> int:
        """Exact cost: ceil((prompt x input price + completion x output price) x (1 -
        discount) / 1e6), in integers and rounded once (no discount: the plain rule)."""
        total = (
            prompt_tokens * self.input_micro_usd_per_mtok
            + completion_tokens * self.output_micro_usd_per_mtok
        )
        return -(-total * self.price_scale // (1_000_000 * PPM))

    @property
    def price_scale(self) -> int:
        """What remains of a price after the discount, in parts per million (>= 1)."""
        return PPM - self.discount_ppm

    def batch_priced(self) -> ModelEntry:
        """This model as batch lines pay for it: its batch discount applied."""
        return replace(self, discount_ppm=self.batch_discount_ppm)

    @property
    def batch_discount(self) -> Decimal:
        return Decimal(self.batch_discount_ppm) / _MICRO

    @property
    def input_price_per_mtok(self) -> Decimal:
        return Decimal(self.input_micro_usd_per_mtok) / _MICRO

    @property
    def output_price_per_mtok(self) -> Decimal:
        return Decimal(self.output_micro_usd_per_mtok) / _MICRO


@dataclass(frozen=True, slots=True)
class Catalog:
    """The models and providers a deployment serves."""

    models: tuple[ModelEntry, ...]
    providers: dict[str, ProviderConfig]

    def get(self, model_id: str, today: date | None = None) -> ModelEntry:
        """The model, unless it is unknown or retired (404 model_not_found)."""
        entry = self.find(model_id)
        if entry is not None and entry.retired(today or utcnow().date()):
            successor = f" Use '{entry.successor}' instead." if entry.successor else ""
            raise ModelNotFoundError(
                f"The model '{model_id}' was retired on {entry.retired_at}.{successor}",
                param="model",
            )
        if entry is None:
            raise ModelNotFoundError(
                f"The model '{model_id}' does not exist or you do not have access to it.",
                param="model",
            )
        return entry

    def find(self, model_id: str) -> ModelEntry | None:
        """The catalog's entry of that id, retired or not."""
        for entry in self.models:
            if entry.id == model_id:
                return entry
        return None

    def of_type(self, kind: ModelType) -> list[ModelEntry]:
        return [entry for entry in self.models if entry.type is kind]


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and check a catalog file; every mistake is reported with where it is."""
    return parse_catalog(read_catalog_file(Path(path) if path else DEFAULT_CATALOG, "model"))


def read_catalog_file(source: Path, kind: str) -> dict[str, Any]:
    """A catalog file's TOML (models, kits); CatalogError saying which file and why."""
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read {kind} catalog {source}: {exc}") from exc


def parse_catalog(data: dict[str, Any]) -> Catalog:
    providers = {
        name: _parse_provider(name, spec) for name, spec in data.get("providers", {}).items()
    }
    models: list[ModelEntry] = []
    for index, spec in enumerate(data.get("models", [])):
        entry = _parse_model(index, spec, providers)
        if any(existing.id == entry.id for existing in models):
            raise CatalogError(f"models[{index}]: duplicate model id {entry.id!r}")
        models.append(entry)
    known = {entry.id for entry in models}
    for entry in models:
        if entry.successor is not None and entry.successor not in known:
            raise CatalogError(f"model {entry.id!r}: successor {entry.successor!r} is unknown")
    return Catalog(models=tuple(models), providers=providers)


def _parse_provider(name: str, spec: dict[str, Any]) -> ProviderConfig:
    try:
        kind = ProviderKind(spec["kind"])
    except (KeyError, ValueError) as exc:
        raise CatalogError(f"providers.{name}: kind must be one of {list(ProviderKind)}") from exc
    known = {"kind", "base_url", "api_key", "region"}
    if kind is ProviderKind.OPENAI_COMPATIBLE and not spec.get("base_url"):
        raise CatalogError(f"providers.{name}: an openai_compatible provider needs base_url")
    return ProviderConfig(
        name=name,
        kind=kind,
        base_url=str(spec.get("base_url", "")).rstrip("/"),
        api_key=str(spec.get("api_key", "")),
        region=str(spec.get("region", "")),
        options={k: v for k, v in spec.items() if k not in known},
    )


def _parse_model(
    index: int, spec: dict[str, Any], providers: dict[str, ProviderConfig]
) -> ModelEntry:
    where = f"models[{index}]"
    model_id = str(spec.get("id", ""))
    if not _MODEL_ID.match(model_id):
        raise CatalogError(f"{where}: id {model_id!r} must match {_MODEL_ID.pattern}")
    where = f"model {model_id!r}"
    provider = providers.get(str(spec.get("provider", "")))
    if provider is None:
        raise CatalogError(f"{where}: provider must be one of {sorted(providers)}")
    try:
        kind = ModelType(spec["type"])
    except (KeyError, ValueError) as exc:
        raise CatalogError(f"{where}: type must be one of {list(ModelType)}") from exc
    return ModelEntry(
        id=model_id,
        name=str(spec.get("name", model_id)),
        type=kind,
        provider=provider,
        upstream_model=str(spec.get("upstream_model", model_id)),
        input_micro_usd_per_mtok=_price(where, spec, "input_price_per_mtok"),
        output_micro_usd_per_mtok=_price(where, spec, "output_price_per_mtok"),
        context_window=_optional_int(where, spec, "context_window"),
        max_output_tokens=_optional_int(where, spec, "max_output_tokens"),
        dimensions=_optional_int(where, spec, "dimensions"),
        supports_dimensions=bool(spec.get("supports_dimensions", False)),
        created=int(spec.get("created", 1_735_689_600)),
        batch_discount_ppm=_discount(where, spec),
        video=_video(where, spec) if kind is ModelType.VIDEO else None,
        deprecated_at=_day(where, spec, "deprecated_at"),
        retired_at=_day(where, spec, "retired_at"),
        successor=str(spec["successor"]) if spec.get("successor") else None,
    )


def _video(where: str, spec: dict[str, Any]) -> VideoOptions:
    try:
        return parse_video_options(spec)
    except VideoCatalogError as exc:
        raise CatalogError(f"{where}: {exc}") from exc


def _day(where: str, spec: dict[str, Any], key: str) -> date | None:
    """A UTC day, written as a TOML date (2026-09-24) or a string "2026-09-24"."""
    raw = spec.get(key)
    if raw is None or isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise CatalogError(f"{where}: {key} must be a day such as 2026-09-24") from None


def _price(where: str, spec: dict[str, Any], key: str) -> int:
    raw = spec.get(key, "0")
    if isinstance(raw, float):
        raise CatalogError(f'{where}: {key} must be a string such as "0.15", not a float')
    try:
        micro = Decimal(str(raw)) * _MICRO
    except InvalidOperation as exc:
        raise CatalogError(f"{where}: {key} {raw!r} is not a decimal number") from exc
    if micro < 0 or micro != micro.to_integral_value() or not math.isfinite(micro):
        raise CatalogError(f"{where}: {key} must be non-negative with at most six decimals")
    return int(micro)


def _discount(where: str, spec: dict[str, Any]) -> int:
    """`batch_discount`: a decimal string from "0" up to (not including) "1", at most six
    decimals, as parts per million."""
    raw = spec.get("batch_discount", "0")
    if not isinstance(raw, str):
        raise CatalogError(f'{where}: batch_discount must be a string such as "0.5"')
    try:
        ppm = Decimal(raw) * _MICRO
    except InvalidOperation as exc:
        raise CatalogError(f"{where}: batch_discount {raw!r} is not a decimal number") from exc
    if not ppm.is_finite() or ppm != ppm.to_integral_value() or not 0 <= ppm < PPM:
        raise CatalogError(
            f"{where}: batch_discount must be at least 0 and below 1, with at most six decimals"
        )
    return int(ppm)


def _optional_int(where: str, spec: dict[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CatalogError(f"{where}: {key} must be a positive integer")
    return value
