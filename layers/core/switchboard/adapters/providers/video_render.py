"""The built-in "local" video model: the prompt's words over an animated scene, as an H.264 MP4.

Offline and deterministic: the same prompt, seed, size, duration and frame rate give the same
bytes with the same PyAV (one encoder thread, a fixed GOP, no macroblock tree, no timestamps in
the container) on any CPU with AVX2, AVX-512 or not; x264 without AVX2 (SSE2 or C only) encodes
other, equally valid, bytes. The picture is video_scene.py's: the prompt's words appearing
over a moving scene whose colours and motion the seed chooses.

PyAV (FFmpeg with libx264) and Pillow are about 100 MB, so they live in the renderer function's
own layer (layers/video/requirements.txt), not in the core layer: they are imported inside the
functions that use them, and importing this module costs nothing.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from switchboard.adapters.providers.video_scene import Scene

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream
    from PIL import Image

MIN_SIDE = 16
MAX_SIDE = 1920
MAX_SECONDS = 120
MAX_FPS = 60

SHORT_SIDES = {"480p": 480, "720p": 720, "1080p": 1080}
ASPECT_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered clip: the MP4 on disk (moov before mdat) and what a job records of it."""

    path: Path
    thumbnail_jpeg: bytes = field(repr=False)
    duration_seconds: float
    width: int
    height: int
    frame_count: int
    size_bytes: int


def size_for(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """Width and height for a resolution named by its shorter side ("480p", "720p", "1080p")
    and an aspect ratio ("16:9", "9:16", "1:1"), rounded to even numbers as yuv420p needs:
    480p 16:9 is 854x480, 9:16 is 480x854, 1:1 is 480x480. Raises ValueError for others."""
    if resolution not in SHORT_SIDES:
        raise ValueError(f"resolution must be one of {', '.join(SHORT_SIDES)}")
    if aspect_ratio not in ASPECT_RATIOS:
        raise ValueError(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}")
    short = SHORT_SIDES[resolution]
    across, down = ASPECT_RATIOS[aspect_ratio]
    if across >= down:
        return _even(short * across / down), short
    return short, _even(short * down / across)


def render(
    prompt: str, *, seconds: int, width: int, height: int, seed: int, fps: int = 24, workdir: Path
) -> Rendered:
    """Render `seconds * fps` frames of `width` x `height` into a new MP4 under `workdir`.

    The file is written to disk because the faststart pass (the `moov` atom moved before
    `mdat`, for playback over Range requests) cannot rewrite an in-memory buffer. The
    thumbnail is the middle frame as a JPEG. Raises ValueError for sizes that are odd or
    outside 16..1920, or for a duration or frame rate out of range.
    """
    _check(seconds=seconds, width=width, height=height, fps=fps)
    scene = Scene(prompt, width=width, height=height, seed=seed)
    frame_count = seconds * fps
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=workdir, prefix="video-", suffix=".mp4", delete=False
    ) as f:
        path = Path(f.name)
    try:
        thumbnail = _encode(scene, path, frame_count=frame_count, fps=fps)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Rendered(
        path=path,
        thumbnail_jpeg=thumbnail,
        duration_seconds=frame_count / fps,
        width=width,
        height=height,
        frame_count=frame_count,
        size_bytes=path.stat().st_size,
    )


def _check(*, seconds: int, width: int, height: int, fps: int) -> None:
    for name, side in (("width", width), ("height", height)):
        if not MIN_SIDE <= side <= MAX_SIDE or side % 2:
            raise ValueError(f"{name} must be an even number from {MIN_SIDE} to {MAX_SIDE}")
    if not 1 <= seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be from 1 to {MAX_SECONDS}")
    if not 1 <= fps <= MAX_FPS:
        raise ValueError(f"fps must be from 1 to {MAX_FPS}")


def _even(value: float) -> int:
    return 2 * round(value / 2)


def _encode(scene: Scene, path: Path, *, frame_count: int, fps: int) -> bytes:
    """Encode the scene's frames into an MP4 at `path`; return the middle frame as a JPEG."""
    import av

    # bitexact keeps FFmpeg's version string out of the file; no creation_time is ever set,
    # so the movie and track headers carry zero times.
    options = {"movflags": "+faststart", "fflags": "+bitexact"}
    time_base = Fraction(1, fps)
    thumbnail = b""
    with av.open(str(path), mode="w", format="mp4", container_options=options) as out:
        stream = _h264_stream(out, scene.width, scene.height, fps)
        for index in range(frame_count):
            image = scene.draw(seconds=index / fps, progress=(index + 1) / frame_count)
            if index == frame_count // 2:
                thumbnail = _jpeg(image)
            frame = _to_yuv(av.VideoFrame.from_image(image))  # type: ignore[no-untyped-call]
            frame.pts, frame.time_base = index, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return thumbnail


def _h264_stream(out: OutputContainer, width: int, height: int, fps: int) -> VideoStream:
    """H.264 that browsers play (High profile, yuv420p, BT.709), the same on every machine."""
    from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc

    gop = 2 * fps  # a keyframe every two seconds, and only there: seeking stays cheap
    # No macroblock tree: with it, x264 (AVX-512 code, B-frames) now and then encoded one
    # frame differently for the same input in the same process (3 of 30 renders in one
    # stress run; none in 200 without it). Clips are about 30% larger without it.
    x264 = {
        "preset": "veryfast",
        "profile": "high",
        "crf": "23",
        "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:mbtree=0",
    }
    stream = out.add_stream("libx264", rate=fps, options=x264)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    codec = stream.codec_context
    codec.thread_count = 1  # x264's output depends on its thread count
    codec.colorspace, codec.color_range = Colorspace.ITU709, ColorRange.MPEG
    codec.color_primaries, codec.color_trc = ColorPrimaries.BT709, ColorTrc.BT709
    return stream


def _to_yuv(frame: VideoFrame) -> VideoFrame:
    from av.video.reformatter import ColorRange, Colorspace, Interpolation

    return frame.reformat(
        format="yuv420p",
        dst_colorspace=Colorspace.ITU709,
        dst_color_range=ColorRange.MPEG,
        interpolation=Interpolation.BILINEAR,  # only chroma subsampling: faster than bicubic
    )


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
