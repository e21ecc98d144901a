"""data.gc_pause: the collector is off inside a pause, back as it was after the last one ends."""
from __future__ import annotations

import gc
import threading
from decimal import Decimal

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


def test_a_billing_run_drafts_its_invoices_with_the_collector_paused(tmp_path, monkeypatch):
    """The run pauses the collector around drafting only, and it runs again afterwards."""
    import data.invoicing as invoicing
    from data.billing import run_billing
    from tests.billing_support import invoices_by_buyer, make_store
    from tests.test_billing import WORKLOAD, P, two_tier

    con = make_store(tmp_path, two_tier(), WORKLOAD)
    seen = []
    real = invoicing.assemble_invoice

    def watched(**kwargs):
        seen.append(gc.isenabled())
        return real(**kwargs)

    monkeypatch.setattr(invoicing, "assemble_invoice", watched)
    gc.enable()
    assert run_billing(con, P).ok
    assert seen and not any(seen)
    assert gc.isenabled()
    assert invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("9500.00")
