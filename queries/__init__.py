"""SQL lives here as named .sql files, one statement each, with a header comment.

The folders are the layers, in the order data flows through them (docs/store.md):

    landing/    FOCUS files in: typed rows, deliveries, pricing groups kept at ingest
    ledger/     the billing run: assignment, prices per edge, tiers (fct_), run bookkeeping (run_)
    invoices/   drafts, issuing, corrections
    reports/    what pages, exports and the CLI read (rpt_), always under a scope
    config/     the configuration document and the tables it fills
    auth/       sign-in state and the scope's own look-ups (who may see what)
    migrations/ the schema, numbered (data/store.py applies them)

`sql("name")` returns the text of the one file `name.sql` in any layer folder (names are unique
across folders, so a statement keeps its name when it moves). Parameters are always bound by the
caller (`con.execute(sql("x"), params)`), never formatted into the text.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

QUERIES_DIR = Path(__file__).resolve().parent


@cache
def _index() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(QUERIES_DIR.rglob("*.sql")):
        if "migrations" in path.relative_to(QUERIES_DIR).parts:
            continue
        if path.stem in found:
            raise RuntimeError(f"two queries named {path.stem!r}: {found[path.stem]} and {path}")
        found[path.stem] = path
    return found


@cache
def sql(name: str) -> str:
    """Return the statement stored in queries/<layer>/<name>.sql."""
    path = _index().get(name)
    if path is None:
        raise KeyError(f"no query named {name!r} under {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


def run(con, name: str, params=None) -> list[tuple]:
    """Execute the named statement with bound parameters and fetch its whole result.

    Fetching matters with DuckDB 2.0: a statement whose result is left unread blocks the
    connection for the next one (ResourceInUse). For INSERT/UPDATE/DELETE the result is
    [(rows_affected,)]."""
    return con.execute(sql(name), params if params is not None else {}).fetchall()
