"""api/startup.defer_collection: no garbage collection while a function module loads, then
what it made is frozen and collection is as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from switchboard.api.startup import defer_collection


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was_on = gc.isenabled()
    yield
    gc.unfreeze()
    if was_on:
        gc.enable()


def test_collection_is_off_in_the_block_and_on_again_after() -> None:
    gc.enable()
    with defer_collection():
        assert not gc.isenabled()
        made: list[list[int]] = [[]]
    assert gc.isenabled()
    assert not any(tracked is made for tracked in gc.get_objects())  # frozen: left alone


def test_collection_that_was_off_stays_off() -> None:
    gc.disable()
    with defer_collection():
        pass
    assert not gc.isenabled()


def test_an_error_in_the_block_still_turns_collection_back_on() -> None:
    gc.enable()
    with pytest.raises(ImportError), defer_collection():
        raise ImportError("a module that fails to load")
    assert gc.isenabled()
