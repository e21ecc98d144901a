"""SQL lives here as named .sql files, one statement each, with a header comment.

`sql("name")` returns the text of `queries/name.sql` (cached). Parameters are always
bound by the caller (`con.execute(sql("x"), params)`), never formatted into the text.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

QUERIES_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """Return the statement stored in queries/<name>.sql."""
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} (looked for {path})")
    return path.read_text(encoding="utf-8")


def run(con, name: str, params=None) -> list[tuple]:
    """Execute the named statement with bound parameters and fetch its whole result.

    Fetching matters with DuckDB 2.0: a statement whose result is left unread blocks the
    connection for the next one (ResourceInUse). For INSERT/UPDATE/DELETE the result is
    [(rows_affected,)]."""
    return con.execute(sql(name), params if params is not None else {}).fetchall()
