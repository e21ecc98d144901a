"""The inbox: a folder (data/inbox/ next to the store) the running app ingests files from.

While the app runs it owns the store file, so the CLI cannot write to it; files dropped into the
inbox are ingested by the app's poller instead (components/store.py calls `process_inbox`).

Each file is ingested in its own transaction (data.ingest.ingest_file) and then moved:
- loaded, replaced or already loaded → `<inbox>/done/<name>`;
- refused → `<inbox>/failed/<name>` plus `<inbox>/failed/<name>.error.txt` with the message.
A name already taken in done/ or failed/ gets a `~2`, `~3` … suffix. Subfolders are processed too
and keep their relative path under done/ and failed/.

Files still being written are left for the next call: hidden names (.name), partial-download
suffixes (.part, .tmp, .crdownload, .partial) and files modified in the last `settle_seconds`.
Calling it again, or from two threads, is safe: one call works at a time per inbox and a busy
inbox returns [] at once.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from data.ingest import IngestError, IngestResult, ingest_file

log = logging.getLogger("tierline.inbox")

DONE = "done"
FAILED = "failed"
ERROR_SUFFIX = ".error.txt"
IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".filepart")
DEFAULT_SETTLE_SECONDS = 2.0

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def process_inbox(con: duckdb.DuckDBPyConnection, inbox_dir: str | os.PathLike, *, loaded_by: str = "inbox",
                  settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> list[IngestResult]:
    """Ingest every file waiting in inbox_dir (oldest name first) and move it to done/ or failed/.
    Returns the results of the files that went to done/ (failures are in failed/, see
    `failed_files`). Creates the folder when missing."""
    inbox = Path(inbox_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    lock = _lock_for(inbox)
    if not lock.acquire(blocking=False):
        return []
    try:
        results: list[IngestResult] = []
        for path in pending_files(inbox, settle_seconds=settle_seconds):
            rel = path.relative_to(inbox)
            try:
                result = ingest_file(con, path, loaded_by=loaded_by)
            except IngestError as exc:
                _fail(inbox, path, rel, str(exc))
                continue
            except Exception as exc:  # an unexpected error must not make the poller retry forever
                log.exception("inbox: unexpected error on %s", path)
                _fail(inbox, path, rel, f"{rel}: unexpected error while ingesting: {exc}")
                continue
            _move(path, inbox / DONE / rel)
            log.info("inbox: %s %s (%s rows, delivery %s)", result.status, rel, result.rows, result.ingest_id)
            results.append(result)
        _remove_empty_dirs(inbox)
        return results
    finally:
        lock.release()


def pending_files(inbox: Path, *, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> list[Path]:
    """Files waiting in the inbox (not in done/ or failed/, not hidden, not still being written)."""
    if not inbox.is_dir():
        return []
    now = time.time()
    out = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if rel.parts[0] in (DONE, FAILED) or any(part.startswith(".") for part in rel.parts):
            continue
        if not path.is_file() or path.name.lower().endswith(IN_PROGRESS_SUFFIXES):
            continue
        try:
            if now - path.stat().st_mtime < settle_seconds:
                continue
        except OSError:
            continue
        out.append(path)
    return out


def failed_files(inbox_dir: str | os.PathLike) -> list[dict]:
    """Files in <inbox>/failed, newest first: {file, path, failed_at (UTC), error}."""
    failed = Path(inbox_dir) / FAILED
    if not failed.is_dir():
        return []
    out = []
    for path in failed.rglob("*"):
        if not path.is_file() or path.name.endswith(ERROR_SUFFIX):
            continue
        note = path.with_name(path.name + ERROR_SUFFIX)
        error = note.read_text(encoding="utf-8").strip() if note.is_file() else ""
        stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).replace(tzinfo=None)
        out.append({"file": path.name, "path": str(path), "failed_at": stamp, "error": error})
    return sorted(out, key=lambda d: d["failed_at"], reverse=True)


def _fail(inbox: Path, path: Path, rel: Path, message: str) -> None:
    log.warning("inbox: refused %s: %s", rel, message)
    target = _move(path, inbox / FAILED / rel)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    target.with_name(target.name + ERROR_SUFFIX).write_text(f"{message}\n\n({stamp})\n", encoding="utf-8")


def _move(path: Path, target: Path) -> Path:
    target = _free_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), str(target))
    # mtime = when it was processed, so failed_files/ done listings sort by processing time
    os.utime(target)
    return target


def _free_name(target: Path) -> Path:
    """target, or target with a ~2, ~3 … before its (double) extension when that name is taken."""
    if not target.exists() and not target.with_name(target.name + ERROR_SUFFIX).exists():
        return target
    name = target.name
    lower = name.lower()
    ext = next((e for e in (".csv.gz", ".parquet", ".csv") if lower.endswith(e)), Path(name).suffix)
    stem = name[: len(name) - len(ext)] if ext else name
    n = 2
    while True:
        candidate = target.with_name(f"{stem}~{n}{ext}")
        if not candidate.exists() and not candidate.with_name(candidate.name + ERROR_SUFFIX).exists():
            return candidate
        n += 1


def _remove_empty_dirs(inbox: Path) -> None:
    for d in sorted((p for p in inbox.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        rel = d.relative_to(inbox)
        if rel.parts[0] in (DONE, FAILED) or any(part.startswith(".") for part in rel.parts):
            continue
        try:
            d.rmdir()
        except OSError:
            pass


def _lock_for(inbox: Path) -> threading.Lock:
    key = inbox.resolve()
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())
