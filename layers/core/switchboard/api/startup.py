"""A function container's start: its imports, without the garbage collector.

A function module's import creates some 200,000 objects (the modules, pydantic's schemas,
the app), and every one of them lives as long as the container. The collector, left on,
walks them over and over while they are being made (about 130 collections in a cold start of
the inference function) and frees next to nothing: 6 to 10 ms of CPU (benchmarks/cold_start.py).
This module imports nothing of ours, so that it can come first.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def defer_collection() -> Iterator[None]:
    """Run the block with garbage collection off; then freeze what exists (`gc.freeze`: later
    collections leave it alone) and turn collection back on, if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_on:
            gc.enable()
