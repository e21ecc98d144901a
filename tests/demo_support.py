"""A demo store billed for every period with one period issued: what the document, delivery and
credit-note tests start from (built once per test module; they copy it when they write)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from data.billing import issue_invoices, run_billing
from data.demo import build_demo
from data.store import connect


def issued_demo_store(folder: Path, *, as_of: date, issue: str, rows: int = 3000) -> Path:
    """Build the demo into folder/demo.duckdb (files in folder/files), bill every period, issue
    `issue` ('YYYY-MM'); returns the store's path, checkpointed and closed."""
    path = folder / "demo.duckdb"
    con = connect(path)
    try:
        summary = build_demo(con, as_of=as_of, rows=rows, out_dir=folder / "files")
        for period in summary["periods"]:
            assert run_billing(con, period, run_by="test").ok
        assert issue_invoices(con, issue, issued_by="test")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path
