"""What the catalog says of a video model, and the sizes its options make.

    [[models]]
    id = "local-video"
    type = "video"
    price_per_second = "0.01"         # USD per second of video, a decimal string
    durations = [2, 4, 8]             # seconds; the first is the default
    resolutions = ["480p", "720p"]    # the shorter side; the first is the default
    aspect_ratios = ["16:9", "9:16"]  # the first is the default
    variants = 1                      # videos rendered per job (each is paid for)
    generate_audio = false            # whether the model can add sound
    seed = true                       # whether it honours a seed
    input_images = 0                  # how many input images it takes (0: none)

A job's price is price_per_second x duration x variants, in integer micro-USD.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SHORT_SIDES = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECT_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
MAX_DURATION = 120
MAX_VARIANTS = 4


class VideoCatalogError(ValueError):
    """A video model's options are malformed (catalog.py reports it with where it is)."""


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """A video model's price per second, and the clips it renders."""

    price_per_second_micro_usd: int
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    variants: int = 1
    generate_audio: bool = False
    seed: bool = True
    input_images: int = 0

    def price_micro_usd(self, duration: int) -> int:
        """What a job of `duration` seconds is held for: every variant, every second."""
        return self.price_per_second_micro_usd * duration * self.variants

    def cost_micro_usd(self, produced_seconds: float, duration: int) -> int:
        """What a job is charged for what the provider produced (never beyond the price
        held): whole milliseconds of each variant, rounded up once, in micro-USD."""
        millis = min(round(produced_seconds * 1000), duration * 1000)
        total = self.price_per_second_micro_usd * max(millis, 0) * self.variants
        return -(-total // 1000)

    @property
    def price_per_second(self) -> Decimal:
        return Decimal(self.price_per_second_micro_usd) / 1_000_000

    def sizes(self) -> dict[str, tuple[str, str]]:
        """Every "WIDTHxHEIGHT" this model renders, with its (resolution, aspect ratio)."""
        found = {}
        for resolution in self.resolutions:
            for ratio in self.aspect_ratios:
                width, height = dimensions(resolution, ratio)
                found[f"{width}x{height}"] = (resolution, ratio)
        return found


def dimensions(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """Width and height: the shorter side is the resolution's, the other follows the ratio,
    rounded to an even number (H.264's yuv420p): 480p 16:9 is 854x480, 720p 9:16 is
    720x1280, 1080p 1:1 is 1080x1080."""
    short = SHORT_SIDES[resolution]
    across, down = ASPECT_RATIOS[aspect_ratio]
    if across >= down:
        return _even(short * across / down), short
    return short, _even(short * down / across)


def parse_video_options(spec: dict[str, Any]) -> VideoOptions:
    """A video model's options from its catalog entry; VideoCatalogError says what is wrong."""
    return VideoOptions(
        price_per_second_micro_usd=_price(spec.get("price_per_second", "0")),
        durations=_choices(spec, "durations", None, int),
        resolutions=_choices(spec, "resolutions", SHORT_SIDES, str),
        aspect_ratios=_choices(spec, "aspect_ratios", ASPECT_RATIOS, str),
        variants=_count(spec, "variants", 1, 1, MAX_VARIANTS),
        generate_audio=_flag(spec, "generate_audio", False),
        seed=_flag(spec, "seed", True),
        input_images=_count(spec, "input_images", 0, 0, 8),
    )


def _price(raw: object) -> int:
    if not isinstance(raw, str):
        raise VideoCatalogError('price_per_second must be a string such as "0.01"')
    try:
        micro = Decimal(raw) * 1_000_000
    except InvalidOperation as exc:
        raise VideoCatalogError(f"price_per_second {raw!r} is not a decimal number") from exc
    if not micro.is_finite() or micro < 0 or micro != micro.to_integral_value():
        raise VideoCatalogError("price_per_second must be non-negative with at most six decimals")
    return int(micro)


def _choices(
    spec: dict[str, Any], key: str, known: dict[str, Any] | None, kind: type
) -> tuple[Any, ...]:
    raw = spec.get(key)
    if not isinstance(raw, list) or not raw or len(set(raw)) != len(raw):
        raise VideoCatalogError(f"{key} must be a non-empty list without repeats")
    for value in raw:
        if type(value) is not kind:
            raise VideoCatalogError(f"{key} must hold {kind.__name__} values")
        if known is not None and value not in known:
            raise VideoCatalogError(f"{key}: {value!r} is not one of {', '.join(known)}")
        if isinstance(value, int) and not 1 <= value <= MAX_DURATION:
            raise VideoCatalogError(f"{key} must be seconds from 1 to {MAX_DURATION}")
    return tuple(raw)


def _count(spec: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = spec.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise VideoCatalogError(f"{key} must be an integer from {low} to {high}")
    return value


def _flag(spec: dict[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise VideoCatalogError(f"{key} must be true or false")
    return value


def _even(value: float) -> int:
    return 2 * round(value / 2)
