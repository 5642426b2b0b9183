"""The offline video renderer: a real H.264 MP4 of the asked size and length, moov before mdat,
a JPEG thumbnail, the same bytes for the same inputs; and the gateway never loads PyAV."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

av = pytest.importorskip(
    "av", reason="PyAV is not installed: the renderer needs the `video` extra (its own layer)"
)
Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (the `video` extra)")

from switchboard.adapters.providers.video_render import Rendered, render, size_for  # noqa: E402

PROMPT = "A paper boat drifts down a rainy street past glowing shop windows"
ROOT = Path(__file__).resolve().parents[2]


def clip(workdir: Path, prompt: str = PROMPT, seed: int = 7, **size: int) -> Rendered:
    options = {"seconds": 2, "width": 96, "height": 64, "fps": 12} | size
    return render(prompt, seed=seed, workdir=workdir, **options)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return clip(tmp_path_factory.mktemp("small"))


def top_level_boxes(data: bytes) -> list[str]:
    """The MP4's top-level box types in file order (ISO/IEC 14496-12: 32-bit size and type,
    size 1 means a 64-bit size follows, size 0 means to the end of the file)."""
    boxes, at = [], 0
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[at + 8 : at + 16])
        elif size == 0:
            size = len(data) - at
        assert size >= 8, f"malformed box at {at}"
        boxes.append(kind.decode("latin-1"))
        at += size
    return boxes


def test_the_clip_is_h264_of_the_asked_size_length_and_frame_count(small: Rendered) -> None:
    with av.open(str(small.path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context
        assert (codec.name, codec.profile, codec.pix_fmt) == ("h264", "High", "yuv420p")
        assert (stream.width, stream.height) == (96, 64)
        assert stream.duration is not None
        assert abs(float(stream.duration * stream.time_base) - 2.0) <= 1 / 12
        assert len(list(container.decode(stream))) == 24
    assert (small.width, small.height, small.frame_count) == (96, 64, 24)
    assert small.duration_seconds == 2.0
    assert small.size_bytes == small.path.stat().st_size > 0


def test_moov_comes_before_mdat_for_playback_over_range_requests(small: Rendered) -> None:
    boxes = top_level_boxes(small.path.read_bytes())
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


def test_the_file_carries_no_creation_time_or_encoder_version(small: Rendered) -> None:
    with av.open(str(small.path)) as container:
        assert "creation_time" not in container.metadata
        assert "creation_time" not in container.streams.video[0].metadata
    assert b"Lavf" not in small.path.read_bytes()


def test_the_thumbnail_is_a_jpeg_of_the_clips_size(small: Rendered) -> None:
    thumbnail = Image.open(io.BytesIO(small.thumbnail_jpeg))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (96, 64))


def test_the_same_inputs_give_the_same_bytes(small: Rendered, tmp_path: Path) -> None:
    """Several times over: with x264's macroblock tree on, a render now and then differed."""
    for _ in range(5):
        again = clip(tmp_path)
        assert again.path != small.path
        assert again.path.read_bytes() == small.path.read_bytes()
        assert again.thumbnail_jpeg == small.thumbnail_jpeg


def test_the_same_bytes_in_another_process(small: Rendered, tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        from pathlib import Path
        from switchboard.adapters.providers.video_render import render
        done = render({PROMPT!r}, seconds=2, width=96, height=64, fps=12, seed=7,
                      workdir=Path({str(tmp_path)!r}))
        print(done.path)
    """)
    env = os.environ | {"PYTHONHASHSEED": "1234"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert Path(out.stdout.strip()).read_bytes() == small.path.read_bytes()


@pytest.mark.parametrize(
    ("prompt", "seed"), [(PROMPT, 8), ("A different prompt entirely", 7)], ids=["seed", "prompt"]
)
def test_another_seed_or_prompt_gives_other_bytes(
    small: Rendered, tmp_path: Path, prompt: str, seed: int
) -> None:
    other = clip(tmp_path, prompt=prompt, seed=seed)
    assert other.path.read_bytes() != small.path.read_bytes()


def test_a_480p_clip_at_24_fps(tmp_path: Path) -> None:
    width, height = size_for("480p", "16:9")
    done = render(PROMPT, seconds=1, width=width, height=height, seed=1, workdir=tmp_path)
    with av.open(str(done.path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (854, 480)
        assert stream.average_rate == 24
        assert len(list(container.decode(stream))) == 24
    assert Image.open(io.BytesIO(done.thumbnail_jpeg)).size == (854, 480)


@pytest.mark.parametrize(
    "prompt",
    ["", "   ", "x" * 300, "naïve café ünïcödé 日本語 🎬"],
    ids=["empty", "blank", "long", "utf"],
)
def test_any_prompt_renders(tmp_path: Path, prompt: str) -> None:
    done = clip(tmp_path, prompt=prompt, seconds=1, fps=4)
    assert done.frame_count == 4


@pytest.mark.parametrize(
    ("width", "height"), [(97, 64), (96, 63), (14, 64), (96, 1922), (0, 64), (-96, 64)]
)
def test_odd_or_out_of_range_sizes_are_refused(tmp_path: Path, width: int, height: int) -> None:
    with pytest.raises(ValueError, match="even number from 16 to 1920"):
        clip(tmp_path, width=width, height=height)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("seconds", "fps"), [(0, 24), (121, 24), (2, 0), (2, 61)])
def test_out_of_range_durations_and_rates_are_refused(
    tmp_path: Path, seconds: int, fps: int
) -> None:
    with pytest.raises(ValueError, match="from 1 to"):
        clip(tmp_path, seconds=seconds, fps=fps)


@pytest.mark.parametrize(
    ("resolution", "aspect_ratio", "size"),
    [
        ("480p", "16:9", (854, 480)),
        ("480p", "9:16", (480, 854)),
        ("480p", "1:1", (480, 480)),
        ("720p", "16:9", (1280, 720)),
        ("720p", "9:16", (720, 1280)),
        ("720p", "1:1", (720, 720)),
        ("1080p", "16:9", (1920, 1080)),
        ("1080p", "9:16", (1080, 1920)),
        ("1080p", "1:1", (1080, 1080)),
    ],
)
def test_size_for(resolution: str, aspect_ratio: str, size: tuple[int, int]) -> None:
    assert size_for(resolution, aspect_ratio) == size


@pytest.mark.parametrize(("resolution", "aspect_ratio"), [("360p", "16:9"), ("720p", "4:3")])
def test_size_for_refuses_unknown_options(resolution: str, aspect_ratio: str) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        size_for(resolution, aspect_ratio)


def test_the_gateway_never_loads_pyav_or_pillow() -> None:
    """PyAV and Pillow live in the renderer's own layer: importing the renderer module, the
    API with every route, the services and the other adapters must not load them."""
    script = textwrap.dedent("""
        import importlib, pkgutil, sys
        import switchboard.adapters.providers.video_render
        import switchboard.bootstrap
        for package in ("switchboard.api", "switchboard.services", "switchboard.adapters"):
            root = importlib.import_module(package)
            for module in pkgutil.walk_packages(root.__path__, package + "."):
                importlib.import_module(module.name)
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("av", "PIL")))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
