"""The DuckDB store: where it lives, how to open it, and its numbered migrations.

One process owns the file for writing (DuckDB allows one writing process per file).
While the app runs it owns the store; the CLI then cannot open it and says so
(`StoreBusy`), pointing at the inbox folder the app ingests from. See docs/store.md.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "tierline.duckdb"
MIGRATIONS_DIR = ROOT / "queries" / "migrations"
MEMORY_ENV = "TIERLINE_MEMORY_LIMIT"    # overrides memory_limit() below
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class StoreBusy(RuntimeError):
    """Another process (normally the running app) holds the store file."""


def db_path(override: str | os.PathLike | None = None) -> Path:
    """--db beats TIERLINE_DB beats data/tierline.duckdb."""
    if override:
        return Path(override)
    env = os.environ.get("TIERLINE_DB")
    return Path(env) if env else DEFAULT_DB


def inbox_dir(db: Path) -> Path:
    """Folder the running app ingests files from: <db folder>/inbox."""
    return db.parent / "inbox"


def memory_limit() -> str:
    """DuckDB's memory limit for the store: TIERLINE_MEMORY_LIMIT (e.g. "12GB") if set, else half
    the machine's memory and at most 8 GiB. Past it DuckDB spills to <store>.tmp/ instead of
    growing: a 10M-row month of one pricing group per row bills in 8.3 GB of process memory
    instead of 14.9 GB, and no slower (docs/performance.md)."""
    given = os.environ.get(MEMORY_ENV, "").strip()
    if given:
        return given
    try:
        half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):     # no sysconf: DuckDB's own default
        return "80%"
    return f"{min(half, 8 * 2**30) // 2**20}MiB"


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store (creating and migrating it when writable)."""
    target = db_path(path)
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreBusy(
                f"The store {target} is in use by another process (usually the running app). "
                f"Stop the app first, or drop FOCUS files into {inbox_dir(target)}/ and the app "
                f"ingests them itself."
            ) from exc
        raise
    con.execute("SET memory_limit = ?", [memory_limit()])
    if not read_only:
        migrate(con)
    return con


def migrations() -> list[tuple[int, str, Path]]:
    """(number, name, path) of every migration file, in order."""
    found = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = _MIGRATION_NAME.match(p.name)
        if not m:
            raise RuntimeError(f"badly named migration {p.name} (want NNN_name.sql)")
        found.append((int(m.group(1)), p.stem, p))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations the store has not seen yet, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for number, name, path in migrations():
        if number in done:
            continue
        with transaction(con):
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [number, name]
            )
        applied.append(number)
    return applied


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK on any exception: state lands whole or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
