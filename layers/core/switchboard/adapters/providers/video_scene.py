"""The picture the local video model draws (video_render.py encodes it): the prompt's words,
white with a dark outline, appearing one by one over the first 70% of the clip and scrolling
when they outgrow the frame, over a drifting gradient and translucent discs whose colours and
paths the seed chooses. Pure Pillow, deterministic, and imported lazily like PyAV.
"""

from __future__ import annotations

import colorsys
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image, ImageFont

REVEAL_SHARE = 0.7  # the words are all on screen by this share of the clip
_TEXT = (255, 255, 255)
_OUTLINE = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class _Word:
    line: int
    right: int  # where the word ends in its line of the text layer


@dataclass(frozen=True, slots=True)
class _Shape:
    colour: tuple[int, int, int, int]
    radius: float
    spread: tuple[float, float]  # amplitude of the path, as shares of the frame
    cycles: tuple[float, float]  # turns per second along x and y
    phase: tuple[float, float]


class Scene:
    """What every frame shares, prepared once: the scrolling background, the shapes' paths
    and the prompt's words laid out on a transparent text layer."""

    def __init__(self, prompt: str, *, width: int, height: int, seed: int) -> None:
        self.width, self.height = width, height
        rng = random.Random(seed)
        short = min(width, height)
        hue = rng.random()
        self.accent = _rgb(hue + 0.5, 0.6, 1.0)
        self.drift = rng.uniform(0.15, 0.4) * width  # background pixels per second
        self.margin = max(2, short // 20)
        self.band = (height // 5, height - height // 5)  # rows the text is shown in
        self.background = _background(width, height, hue, rng.uniform(0.08, 0.3), self.band)
        self.shapes = [_shape(rng, hue, short) for _ in range(rng.randint(4, 7))]
        font = _font(max(8, short // 11))
        self.line_height = max(1, round(font.size * 1.3))
        self.words, self.text = _layout(
            prompt.split(), font, width - 2 * self.margin, self.line_height
        )
        # The index of each line's first word, then the word count.
        self.line_starts = [
            i for i, w in enumerate(self.words) if i == 0 or w.line != self.words[i - 1].line
        ] + [len(self.words)]

    def draw(self, *, seconds: float, progress: float) -> Image.Image:
        """The frame at `seconds` into the clip, `progress` (0..1) of the way through."""
        from PIL import ImageDraw

        offset = int(seconds * self.drift) % self.width
        image = self.background.crop((offset, 0, offset + self.width, self.height))
        pen = ImageDraw.Draw(image, "RGBA")
        for shape in self.shapes:
            x, y, r = _place(shape, seconds, self.width, self.height)
            pen.ellipse((x - r, y - r, x + r, y + r), fill=shape.colour)
        self._draw_words(image, min(1.0, progress / REVEAL_SHARE) * len(self.words))
        bar = max(2, self.height // 100)
        pen.rectangle(
            (0, self.height - bar, round(self.width * progress), self.height), self.accent
        )
        return image

    def _draw_words(self, image: Image.Image, position: float) -> None:
        """Paste the words up to `position` (a word index, with the fraction of the next)."""
        if not self.words:
            return
        last = self.words[min(len(self.words), int(position) + 1) - 1]
        top, bottom = self.band
        view = bottom - top
        if self.text.height <= view:
            scroll, top = 0, top + (view - self.text.height) // 2
        else:
            scroll = self._scroll(last.line, position, view)
        full_lines = (0, 0, self.text.width, last.line * self.line_height)
        current = (0, last.line * self.line_height, last.right, (last.line + 1) * self.line_height)
        for left, upper, right, lower in (full_lines, current):
            upper, lower = max(upper, scroll), min(lower, scroll + view)
            if right > left and lower > upper:
                piece = self.text.crop((left, upper, right, lower))
                image.paste(piece, (self.margin + left, top + upper - scroll), piece)

    def _scroll(self, line: int, position: float, view: int) -> int:
        """How far the text layer is scrolled: the line being written stays in view and the
        text glides up by one line while that line fills."""
        start, end = self.line_starts[line], self.line_starts[line + 1]
        along = min(1.0, max(0.0, (position - start) / (end - start)))
        cursor = (line + 1 + along) * self.line_height
        return max(0, min(self.text.height - view, round(cursor - view)))


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's own scalable font (Aileron), so no font file has to be shipped or found."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # a Pillow built without FreeType
        raise RuntimeError("the video renderer needs Pillow with FreeType to draw text")
    return font


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def _background(
    width: int, height: int, hue: float, spread: float, band: tuple[int, int]
) -> Image.Image:
    """A tile twice the frame's width whose colours repeat every `width` pixels, so any
    window of it scrolls seamlessly, shaded towards the bottom and darker behind the text."""
    from PIL import Image

    tile = (2 * width, height)
    across = Image.new("L", (tile[0], 1))
    across.putdata([round(255 * abs((x / width) % 1.0 * 2 - 1)) for x in range(tile[0])])
    left, right = (Image.new("RGB", tile, _rgb(hue + s, 0.75, 0.85)) for s in (0, spread))
    image = Image.composite(left, right, across.resize(tile, Image.Resampling.NEAREST))
    down = Image.linear_gradient("L").resize(tile).point(lambda v: v * 6 // 10)
    image = Image.composite(Image.new("RGB", tile, _rgb(hue - spread, 0.8, 0.25)), image, down)
    shade = image.crop((0, band[0], tile[0], band[1])).point(lambda v: v * 45 // 100)
    image.paste(shade, (0, band[0]))
    return image


def _shape(rng: random.Random, hue: float, short: int) -> _Shape:
    r, g, b = _rgb(hue + rng.uniform(-0.25, 0.25), rng.uniform(0.3, 0.8), 1.0)
    return _Shape(
        colour=(r, g, b, rng.randint(70, 140)),
        radius=short * rng.uniform(0.06, 0.2),
        spread=(rng.uniform(0.2, 0.45), rng.uniform(0.2, 0.45)),
        cycles=(rng.uniform(0.05, 0.25), rng.uniform(0.05, 0.25)),
        phase=(rng.uniform(0, math.tau), rng.uniform(0, math.tau)),
    )


def _place(shape: _Shape, seconds: float, width: int, height: int) -> tuple[int, int, int]:
    turn_x, turn_y = (
        math.tau * c * seconds + p for c, p in zip(shape.cycles, shape.phase, strict=True)
    )
    x = width * (0.5 + shape.spread[0] * math.sin(turn_x))
    y = height * (0.5 + shape.spread[1] * math.cos(turn_y))
    r = shape.radius * (1 + 0.15 * math.sin(turn_x + turn_y))
    return round(x), round(y), round(r)


def _layout(
    words: list[str], font: ImageFont.FreeTypeFont, width: int, line_height: int
) -> tuple[list[_Word], Image.Image]:
    """Wrap the words to `width` (cutting any word wider than a line) and draw them, white
    with a dark outline, on a transparent layer: one row of `line_height` per line."""
    from PIL import Image, ImageDraw

    stroke = max(1, round(font.size / 14))
    usable, space = width - 2 * stroke, font.getlength(" ")
    placed: list[tuple[str, int, float]] = []  # word, line, left (inside the outline)
    line, x = 0, 0.0
    for word in (piece for w in words for piece in _cut(w, font, usable)):
        length = font.getlength(word)
        if x and x + length > usable:
            line, x = line + 1, 0.0
        placed.append((word, line, x + stroke))
        x += length + space
    layer = Image.new("RGBA", (max(1, width), max(1, (line + 1) * line_height)), (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    laid = []
    for word, at_line, left in placed:
        y = at_line * line_height + (line_height - font.size) // 2
        pen.text((left, y), word, font=font, fill=_TEXT, stroke_width=stroke, stroke_fill=_OUTLINE)
        right = min(width, math.ceil(left + font.getlength(word)) + stroke)
        laid.append(_Word(line=at_line, right=right))
    return laid, layer


def _cut(word: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """The word, or pieces of it that each fit in `width` when it is wider than a line."""
    pieces, current = [], ""
    for char in word:
        if current and font.getlength(current + char) > width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces
