"""A video request judged against its model: every option the model does not support, or
a value outside the model's list, is a 400 naming the option and the values it allows.

Both API shapes come here: ours names `duration`, `resolution` and `aspect_ratio`; OpenAI's
names `seconds` (a string) and `size` ("WIDTHxHEIGHT", one of the sizes the model's
resolutions and aspect ratios make: domain/video_models.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from switchboard.domain.catalog import ModelEntry, ModelType
from switchboard.domain.video_models import VideoOptions, dimensions
from switchboard.domain.videos import VideoSpec
from switchboard.errors import InvalidRequestError

MAX_PROMPT_CHARS = 32_000  # OpenAI's limit for a video prompt
MAX_SEED = 2**31 - 1


def video_options(model: ModelEntry) -> VideoOptions:
    """The model's video options; 400 when it is not a video model."""
    if model.type is not ModelType.VIDEO or model.video is None:
        raise InvalidRequestError(
            f"The model '{model.id}' is a {model.type.value} model, not a video model.",
            param="model",
            code="invalid_model",
        )
    return model.video


def video_spec(
    model: ModelEntry,
    prompt: str,
    *,
    duration: int | None = None,
    resolution: str | None = None,
    aspect_ratio: str | None = None,
    generate_audio: bool | None = None,
    seed: int | None = None,
    input_images: Sequence[str] = (),
) -> VideoSpec:
    """The render a request asks for, with the model's defaults for what it leaves out."""
    options = video_options(model)
    _check_prompt(prompt)
    duration = _one_of("duration", duration, options.durations, model)
    resolution = _one_of("resolution", resolution, options.resolutions, model)
    aspect_ratio = _one_of("aspect_ratio", aspect_ratio, options.aspect_ratios, model)
    if generate_audio and not options.generate_audio:
        raise _unsupported("generate_audio", model, "false")
    if seed is not None and not options.seed:
        raise _unsupported("seed", model, "none")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise _invalid("seed", f"seed must be an integer from 0 to {MAX_SEED}.")
    images = _images(tuple(input_images), options, model)
    width, height = dimensions(resolution, aspect_ratio)
    return VideoSpec(
        prompt, duration, resolution, aspect_ratio, width, height, options.variants,
        bool(generate_audio), seed, images,
    )  # fmt: skip


def openai_spec(
    model: ModelEntry, prompt: str, seconds: str | None, size: str | None, images: Sequence[str]
) -> VideoSpec:
    """The render an OpenAI-shaped request asks for (`seconds`, `size`)."""
    options = video_options(model)
    duration = None
    if seconds is not None:
        allowed = ", ".join(f"'{d}'" for d in options.durations)
        if not seconds.isascii() or not seconds.isdigit() or int(seconds) not in options.durations:
            raise _invalid("seconds", f"seconds must be one of {allowed} for '{model.id}'.")
        duration = int(seconds)
    resolution = aspect_ratio = None
    if size is not None:
        sizes = options.sizes()
        if size not in sizes:
            raise _invalid("size", f"size must be one of {', '.join(sizes)} for '{model.id}'.")
        resolution, aspect_ratio = sizes[size]
    return video_spec(model, prompt, duration=duration, resolution=resolution,
                      aspect_ratio=aspect_ratio, input_images=images)  # fmt: skip


def _check_prompt(prompt: str) -> None:
    if not prompt.strip():
        raise _invalid("prompt", "prompt must not be empty.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise _invalid("prompt", f"prompt must be at most {MAX_PROMPT_CHARS} characters.")


def _one_of(param: str, value: Any, allowed: Sequence[Any], model: ModelEntry) -> Any:
    """`value` if the model allows it; its default (the first allowed) when not given."""
    if value is None:
        return allowed[0]
    if value not in allowed:
        listed = ", ".join(str(a) for a in allowed)
        raise _invalid(param, f"{param} must be one of {listed} for '{model.id}', not {value}.")
    return value


def _images(images: tuple[str, ...], options: VideoOptions, model: ModelEntry) -> tuple[str, ...]:
    if len(images) > options.input_images:
        most = options.input_images
        raise _invalid("input_images", f"'{model.id}' takes at most {most} input images.")
    for url in images:
        if not url.lower().startswith("https://"):
            raise _invalid("input_images", "input_images must be https URLs.")
    return images


def _unsupported(param: str, model: ModelEntry, allowed: str) -> InvalidRequestError:
    return _invalid(param, f"'{model.id}' does not support {param} (allowed: {allowed}).")


def _invalid(param: str, message: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_value")
