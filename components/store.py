"""The app's hold on the store: one DuckDB connection per process, a cursor per use, and the
background inbox poller.

The running app owns the store file (data/store.py): the CLI then gets `StoreBusy` and drops
files into the inbox folder instead, which the poller here ingests every few seconds.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb
import streamlit as st

from data import store

log = logging.getLogger("tierline.app")

POLL_ENV = "TIERLINE_INBOX_POLL_SECONDS"
DEFAULT_POLL_SECONDS = 5.0


def db_file() -> str:
    """The store this process serves (TIERLINE_DB, else data/tierline.duckdb), as a cache key."""
    return str(store.db_path().resolve())


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    """THE connection of this process. Never used directly: every user takes a cursor."""
    return store.connect(path)


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of the process connection for one piece of work (a rerun, a cached query).

    Raises data.store.StoreBusy when another process holds the store."""
    cur = _connection(db_file()).cursor()
    try:
        yield cur
    finally:
        cur.close()


def inbox_folder() -> Path:
    """Where FOCUS files are dropped for this app to ingest (<store folder>/inbox)."""
    return store.inbox_dir(Path(db_file()))


def poll_seconds() -> float:
    raw = os.environ.get(POLL_ENV, "")
    try:
        return float(raw) if raw.strip() else DEFAULT_POLL_SECONDS
    except ValueError:
        return DEFAULT_POLL_SECONDS


def start_inbox_poller() -> None:
    """Start the inbox poller of this process once (no-op on every later call)."""
    interval = poll_seconds()
    if interval > 0:
        _poller(db_file(), interval)


@st.cache_resource(show_spinner=False)
def _poller(path: str, interval: float) -> threading.Thread:
    con = _connection(path)
    inbox = store.inbox_dir(Path(path))
    thread = threading.Thread(target=_poll_forever, args=(con, inbox, interval),
                              name="tierline-inbox", daemon=True)
    thread.start()
    return thread


def _poll_forever(con: duckdb.DuckDBPyConnection, inbox: Path, interval: float) -> None:
    cur = con.cursor()  # the poller's own cursor, for the life of the process
    while True:
        try:
            poll_once(cur, inbox)
        except Exception:  # a bad file must not kill the poller; it is logged and retried
            log.exception("inbox poll failed")
        time.sleep(interval)


def poll_once(con: duckdb.DuckDBPyConnection, inbox: Path) -> list[date]:
    """Ingest what waits in the inbox, then re-price what the new deliveries changed (the periods
    they touched and later open ones: issued invoices never change, late data becomes a
    correction on the next invoice). Returns the periods priced."""
    from data.billing import reprice_after_ingest
    from data.inbox import process_inbox

    summaries = reprice_after_ingest(con, process_inbox(con, inbox), run_by="inbox")
    for summary in summaries:
        if not summary.ok:
            log.warning("billing %s after inbox ingest: %s", summary.period, summary.problems[:3])
    if summaries:
        st.cache_data.clear()  # pages show the new figures at once, not after their TTL
    return [s.period for s in summaries]
