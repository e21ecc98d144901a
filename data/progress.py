"""Progress for long statements: a callback `(fraction 0–1, message)` that never goes back, and a
runner that reports DuckDB's own query progress while one statement runs (ingest, billing).
"""
from __future__ import annotations

import threading
from typing import Callable

import duckdb

from queries import sql

Progress = Callable[[float, str], None]



class Reporter:
    """Wraps the caller's progress callback: fractions clamped to [0, 1] and never decreasing."""

    def __init__(self, callback: Progress | None):
        self.callback = callback
        self.last = 0.0

    @property
    def active(self) -> bool:
        return self.callback is not None

    def __call__(self, fraction: float, message: str) -> None:
        if self.callback is None:
            return
        fraction = min(1.0, max(self.last, fraction))
        self.last = fraction
        self.callback(fraction, message)


def execute_with_progress(con: duckdb.DuckDBPyConnection, query: str, params: dict, report: Reporter,
                           lo: float, hi: float, label: str) -> tuple | None:
    """Run one long statement; with a progress callback, run it on a worker thread and report
    DuckDB's query progress from this thread (so UI callbacks stay on the caller's thread)."""
    if not report.active:
        return con.execute(query, params).fetchone()
    con.execute(sql("landing_progress_on"))
    con.execute(sql("landing_progress_print_off"))
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["row"] = con.execute(query, params).fetchone()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="tierline-ingest", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
            pct = con.query_progress()
            if pct is not None and pct >= 0:
                report(lo + (hi - lo) * min(pct, 100.0) / 100.0, label)
    except BaseException:
        con.interrupt()
        worker.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("row")


