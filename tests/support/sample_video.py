"""A small MP4 for the fake video upstreams to serve: a real one-second H.264 clip when PyAV
is installed (the `video` extra), else fixed bytes that begin as an MP4 does (an `ftyp`
box), which is all a provider that copies bytes can tell apart."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

# ftyp (isom, mp41) and a free box of padding: an MP4's first bytes, not a playable file.
FALLBACK_MP4 = (
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"
    + b"\x00\x00\x04\x08free"
    + bytes(range(256)) * 4
)


@functools.cache
def sample_mp4() -> bytes:
    try:
        import av  # noqa: F401
    except ImportError:
        return FALLBACK_MP4
    return _render()


def _render(seconds: int = 1, fps: int = 24, size: int = 64) -> bytes:
    """A clip of a colour that changes each frame, written to a file (faststart cannot
    write to a buffer: FACTS.md)."""
    import av
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.mp4"
        with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            for n in range(seconds * fps):
                pixels = np.full((size, size, 3), (n * 10) % 256, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        return path.read_bytes()
