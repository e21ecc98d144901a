"""data.gc_pause: the collector is off inside a pause, back as it was after the last one ends."""
from __future__ import annotations

import gc
import threading

import pytest

from data.gc_pause import paused_gc


@pytest.fixture(autouse=True)
def collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_a_pause_turns_the_collector_off_and_back_on_even_after_an_error():
    gc.enable()
    with pytest.raises(RuntimeError):
        with paused_gc():
            assert not gc.isenabled()
            raise RuntimeError("drafting failed")
    assert gc.isenabled()


def test_nested_and_overlapping_pauses_end_with_the_last_one():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other_run():
        with paused_gc():
            inside.set()
            release.wait(5)

    with paused_gc():
        worker = threading.Thread(target=other_run)
        worker.start()
        assert inside.wait(5)
        with paused_gc():
            pass
        assert not gc.isenabled()           # the inner pause ended, two still run
    assert not gc.isenabled()               # the other thread's pause still runs
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()
