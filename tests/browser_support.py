"""Shared by the UI tests (AppTest and browser): one small demo store per test process.

`ui_store()` builds it once (data.demo.build_demo with few rows and a fixed as_of, then
data.billing.run_billing for each of its periods and issue_invoices for the first, so pages show
both issued and draft invoices) into a temporary folder and returns
`UiStore(apptest_db, browser_db, periods)`. The browser tests get their own copy of the file,
because the Streamlit server they start is another process and DuckDB lets one process own a
store; AppTest runs in this process and opens `apptest_db` itself.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from data.store import ROOT, connect

AS_OF = date(2025, 6, 12)          # periods 2025-04, 2025-05 (complete) and 2025-06 (to date)
ROWS = 3000
PASSWORD = "tierline-demo"
COOKIE_KEY = "ui-tests-only-" + "k" * 48   # never a real key: tests set TIERLINE_COOKIE_KEY
DEMO_CONFIG = ROOT / "data" / "demo" / "config.yaml"


@dataclass(frozen=True)
class UiStore:
    folder: Path
    apptest_db: Path
    browser_db: Path
    periods: tuple[date, ...]


@lru_cache(maxsize=None)
def ui_store() -> UiStore:
    from data.billing import issue_invoices, run_billing
    from data.demo import build_demo

    folder = Path(tempfile.mkdtemp(prefix="tierline-ui-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    db = folder / "apptest" / "tierline.duckdb"
    db.parent.mkdir()
    con = connect(db)
    try:
        summary = build_demo(con, as_of=AS_OF, rows=ROWS, out_dir=folder / "files")
        periods = tuple(summary["periods"])
        for period in periods:
            result = run_billing(con, period)
            assert result.ok, f"billing {period} failed: {result.problems[:3]}"
        issue_invoices(con, periods[0], issued_by="ui-tests")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    browser_db = folder / "browser" / "tierline.duckdb"
    browser_db.parent.mkdir()
    shutil.copyfile(db, browser_db)
    return UiStore(folder, db, browser_db, periods)


def ui_env(db: Path, *, poll_seconds: str = "0") -> dict[str, str]:
    """The environment the app needs for a test store (cookie key from the environment)."""
    return {
        "TIERLINE_DB": str(db),
        "TIERLINE_COOKIE_KEY": COOKIE_KEY,
        "TIERLINE_INBOX_POLL_SECONDS": poll_seconds,
        "TIERLINE_SESSION_MINUTES": "60",
    }


@lru_cache(maxsize=None)
def demo_orgs() -> dict[str, dict]:
    """Organisations of the demo configuration by id: {name, kind, parent}."""
    doc = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    orgs = {doc["root"]["id"]: {"name": doc["root"]["name"], "kind": doc["root"]["kind"],
                                "parent": None}}
    for o in doc["organizations"]:
        orgs[o["id"]] = {"name": o["name"], "kind": o["kind"], "parent": o.get("parent")}
    return orgs


def customer_names_except(*own: str) -> list[str]:
    """Names of every demo customer except `own` (ids): what a customer must never see."""
    return [o["name"] for cid, o in demo_orgs().items() if o["kind"] == "customer" and cid not in own]


def set_env(values: dict[str, str]) -> dict[str, str | None]:
    """Set environment variables; returns the old values for `restore_env`."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    return old


def restore_env(old: dict[str, str | None]) -> None:
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
