"""FOCUS ingest: CSV (plain or gzip) and Parquet files into landing_focus, one transaction per file.

How a file is loaded (docs/store.md has the user-facing story):

1. The file's bytes are hashed (sha256). A file already in `deliveries` is `already_loaded`:
   nothing changes.
2. Its header is read through DuckDB's reader (table macro `ingest_file`, path bound as a
   parameter), the FOCUS version detected from the column set (1.0–1.3) and the mandatory columns
   checked. Columns outside the canonical landing_focus set are kept per row in `x_Extra` and listed
   in `deliveries.dropped_columns`.
3. One streaming `INSERT INTO landing_focus … SELECT` (queries/landing/landing_insert.sql) types every row
   set-based in DuckDB: strings stay strings (account IDs never become numbers), money and
   quantities are CAST to DECIMAL(38,10), date/times become naive UTC, empty strings NULL.
   A Parquet file's number and date/time columns stored as DECIMAL/integers and TIMESTAMP(TZ) are
   read in their own type (`typed_columns`): the same values as through their text, without
   writing and parsing that text.
   The CAST is strict, so any bad value aborts the statement; only then does the slow path run
   (queries/landing/landing_diag_*.sql) to find the column, the first bad row and its value for the message.
4. Charge categories and currency codes are checked on the few distinct values loaded, the
   per-slice totals go to `delivery_slices`, and earlier active slices with the same
   (ProviderName, BillingAccountId, x_Period) are replaced: their landing rows are deleted and the
   slices marked `replaced` with `replaced_by` = the new delivery.
5. The delivery's rows are grouped for pricing into `landing_groups` (data.groups), so billing
   runs start from groups instead of rescanning the landing rows.

Everything from step 3 on is one transaction (data.store.transaction), with its audit entry
(action `ingest`): a bad file leaves nothing. Why a file was refused is data/ingest_diagnosis.py;
reporting progress is data/progress.py. (Under 500 lines: the five steps above.)
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

import duckdb

from data.audit import record_store_audit
from data.focus import CANONICAL_COLUMNS, CHARGE_CATEGORIES, MANDATORY_COLUMNS, NUMBER_COLUMNS, TIMESTAMP_COLUMNS
from data.groups import build_groups, current_grouping
from data.ingest_diagnosis import BadValues, diagnose, drop_scratch, reader_problem
from data.progress import Progress, Reporter, execute_with_progress
from data.store import transaction
from pricing.money import ISO_CURRENCIES
from queries import sql

#: Newest first: a file is the first version whose marker columns it has (1.0 otherwise).
VERSION_MARKERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("1.3", frozenset({"ServiceProviderName", "HostProviderName"})),
    ("1.2", frozenset({"InvoiceId", "PricingCurrency", "BillingAccountType"})),
    ("1.1", frozenset({"SkuMeter", "ServiceSubcategory", "CommitmentDiscountQuantity"})),
)

FILE_PATTERNS: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")

_CSV_SNIFF_BYTES = 64 * 1024
_HASH_CHUNK = 4 * 1024 * 1024
_INGEST_LOCK = threading.RLock()   # one ingest at a time per process (app poller + page uploads)

# Progress budget of one file: hashing, the streaming load, checks/totals, replacement.
_P_HASHED, _P_LOADED, _P_CHECKED, _P_REPLACED = 0.05, 0.85, 0.88, 0.90


class IngestError(Exception):
    """A file could not be ingested. str(e) is the one user-facing message (it names the file).

    `results` holds the files an `ingest_paths` call loaded before the bad one (they stay loaded).
    """

    def __init__(self, message: str, *, results: Sequence["IngestResult"] = ()):
        super().__init__(message)
        self.results: tuple[IngestResult, ...] = tuple(results)


class OtherFocusDataset(IngestError):
    """The file is FOCUS, but another dataset than Cost and Usage (e.g. Contract Commitment)."""


@dataclass(frozen=True)
class IngestResult:
    path: str
    status: str                        # "loaded" | "already_loaded" | "replaced" | "skipped"
    ingest_id: int | None
    rows: int
    focus_version: str
    replaced_ingest_ids: tuple[int, ...] = ()
    notices: tuple[str, ...] = ()
    periods: tuple[date, ...] = field(default=())   # billing periods the delivery touched (x_Period)


# ---------------------------------------------------------------------------------------------
# public API

def ingest_file(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, *, loaded_by: str = "cli",
                progress: Progress | None = None) -> IngestResult:
    """Load one FOCUS file (CSV, CSV.gz or Parquet) in one transaction. Raises IngestError."""
    with _INGEST_LOCK:
        return _ingest_file(con, Path(path), str(path), loaded_by, Reporter(progress))


def ingest_paths(con: duckdb.DuckDBPyConnection, paths: str | os.PathLike | Iterable[str | os.PathLike], *,
                 loaded_by: str = "cli", progress: Progress | None = None) -> list[IngestResult]:
    """Load files and folders (recursively: *.csv, *.csv.gz, *.parquet), each file in its own
    transaction, in path order. On the first bad file raise IngestError; the files before it stay
    loaded (the message says which) and are in `error.results`. A file found in a folder that is
    another FOCUS dataset (a provider's Contract Commitment export beside its costs) is skipped
    with a notice; named on its own, it is an error."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    named = {Path(p).resolve() for p in paths if not Path(p).is_dir()}
    files = expand_paths(paths)
    sizes = [_size(f) for f in files]
    total = float(sum(sizes)) or 1.0
    reporter = Reporter(progress)
    results: list[IngestResult] = []
    done_bytes = 0
    for number, (file, size) in enumerate(zip(files, sizes), start=1):
        prefix = f"[{number}/{len(files)}] {file.name}: " if len(files) > 1 else f"{file.name}: "
        base, share = done_bytes / total, size / total

        def sub(fraction: float, message: str, base=base, share=share, prefix=prefix) -> None:
            reporter(base + share * fraction, prefix + message)

        try:
            results.append(ingest_file(con, file, loaded_by=loaded_by, progress=sub if progress else None))
        except OtherFocusDataset as exc:
            if file.resolve() in named:
                raise IngestError(_with_partial_note(str(exc), results, files[number:]), results=results) from exc
            results.append(IngestResult(str(file), "skipped", None, 0, "", notices=(str(exc),)))
        except IngestError as exc:
            raise IngestError(_with_partial_note(str(exc), results, files[number:]), results=results) from exc
        done_bytes += size
    if reporter.last < 1.0:
        reporter(1.0, f"done: {len(results)} file(s), {sum(r.rows for r in results):,} rows")
    return results


def list_deliveries(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every delivery, newest first, as dicts: id, file, path, loaded_at (UTC), loaded_by, version,
    format, rows, sha256, dropped_columns, notes, status ('active' | 'partly replaced' | 'replaced'),
    active_rows, replaced_by (ids), totals {currency: {rows, ListCost, BilledCost, EffectiveCost,
    ContractedCost}} (Decimal, as delivered)."""
    cur = con.execute(sql("deliveries_list"))
    names = [d[0] for d in cur.description]
    out = [dict(zip(names, row)) for row in cur.fetchall()]
    totals: dict[int, dict[str, dict]] = {}
    for ingest_id, currency, rows, list_cost, billed, effective, contracted in con.execute(
            sql("deliveries_totals")).fetchall():
        totals.setdefault(ingest_id, {})[currency] = {
            "rows": rows, "ListCost": list_cost, "BilledCost": billed,
            "EffectiveCost": effective, "ContractedCost": contracted,
        }
    for item in out:
        item["dropped_columns"] = list(item["dropped_columns"] or [])
        item["replaced_by"] = list(item["replaced_by"] or [])
        item["totals"] = totals.get(item["id"], {})
    return out


def detect_version(columns: Iterable[str]) -> str:
    """FOCUS version of a Cost and Usage header: '1.3', '1.2', '1.1' or '1.0'."""
    present = {c.lower() for c in columns}
    for version, markers in VERSION_MARKERS:
        if any(m.lower() in present for m in markers):
            return version
    return "1.0"


_NUMBERS = frozenset(c.lower() for c in NUMBER_COLUMNS)
_STAMPS = frozenset(c.lower() for c in TIMESTAMP_COLUMNS)
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
                       "UBIGINT", "HUGEINT"})


def typed_columns(schema: Iterable[Sequence[str]]) -> list[str]:
    """The columns of a Parquet file's schema ((name, DuckDB type), … as DESCRIBE gives them) that
    landing reads in their own type instead of as text: the number columns stored as integers or
    as DECIMAL of scale ≤ 10 (exact in DECIMAL(38,10): a value too large still fails the load, as
    its text would) and the date/time columns stored as TIMESTAMP (microseconds, naive: UTC) or
    TIMESTAMP WITH TIME ZONE (shifted to UTC). Anything else — DOUBLE, a finer decimal, a
    nanosecond or DATE column, text — goes through its text, as a CSV file's values do. A file
    whose every column would qualify is read all as text (it is no FOCUS file: the header check
    refuses it)."""
    schema = list(schema)
    typed = []
    for name, kind, *_ in schema:
        key, kind = name.lower(), kind.upper()
        if key in _NUMBERS:
            decimal = _DECIMAL.fullmatch(kind)
            if kind in _INTEGERS or (decimal and int(decimal.group(2)) <= 10):
                typed.append(name)
        elif key in _STAMPS and kind in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
            typed.append(name)
    return typed if len(typed) < len(schema) else []


def expand_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Files to ingest: given files as they are, folders searched recursively for *.csv, *.csv.gz
    and *.parquet (hidden files skipped), in path order. Raises IngestError when a path does not
    exist or nothing is found."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    given = [Path(p) for p in paths]
    for p in given:
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and is_focus_file_name(f.name)
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise IngestError(f"{p}: no such file or folder")
    if not files:
        where = ", ".join(str(p) for p in given) or "(no paths given)"
        raise IngestError(f"no FOCUS files (*.csv, *.csv.gz, *.parquet) found in {where}")
    unique: list[Path] = []
    seen: set[Path] = set()
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def is_focus_file_name(name: str) -> bool:
    lower = name.lower()
    return not lower.startswith(".") and lower.endswith(FILE_PATTERNS)


# ---------------------------------------------------------------------------------------------
# one file

def _ingest_file(con: duckdb.DuckDBPyConnection, path: Path, shown: str, loaded_by: str,
                 report: Reporter) -> IngestResult:
    if not path.exists():
        raise IngestError(f"{shown}: no such file")
    if path.is_dir():
        raise IngestError(f"{shown}: is a folder (ingest_paths loads folders)")
    file_format, compression = _sniff_format(path, shown)

    report(0.0, "hashing")
    digest = _sha256(path, report)
    found = con.execute(sql("deliveries_by_sha256"), {"sha256": digest}).fetchone()
    if found:
        report(1.0, f"already loaded as delivery {found[0]}")
        return IngestResult(path=shown, status="already_loaded", ingest_id=int(found[0]), rows=int(found[1]),
                            focus_version=found[2], notices=(f"same content as delivery {found[0]}",))

    typed = _typed_columns(con, path, shown, file_format)
    params = {"path": str(path), "compression": compression, "typed": typed}
    _define_macros(con, file_format, typed)
    columns = _read_header(con, params, shown, file_format)
    version, extra, notices = _check_header(columns, shown)

    report(_P_HASHED, "loading rows")
    try:
        with transaction(con):
            ingest_id = int(con.execute(sql("deliveries_next_id")).fetchone()[0])
            row = execute_with_progress(
                con, sql("landing_insert"),
                {**params, "ingest_id": ingest_id, "source_file": path.name},
                report, _P_HASHED, _P_LOADED, "loading rows")
            rows = int(row[0]) if row else 0
            if rows == 0:
                raise IngestError(f"{shown}: the file has no data rows (only a header); nothing was stored")
            report(_P_LOADED, f"checking {rows:,} rows")
            _check_codes(con, ingest_id)
            con.execute(sql("deliveries_slices_insert"), {"ingest_id": ingest_id})
            report(_P_CHECKED, "replacing earlier deliveries")
            overlaps = con.execute(sql("deliveries_overlaps"), {"ingest_id": ingest_id}).fetchall()
            replaced_ids: tuple[int, ...] = ()
            if overlaps:
                con.execute(sql("landing_delete_replaced"), {"ingest_id": ingest_id})
                con.execute(sql("deliveries_mark_replaced"), {"ingest_id": ingest_id})
                con.execute(sql("landing_groups_delete_replaced"), {"ingest_id": ingest_id})
                replaced_ids = tuple(sorted({int(o[0]) for o in overlaps}))
                notices.append(_replacement_notice(overlaps))
            report(_P_REPLACED, "grouping rows for pricing")
            build_groups(con, [ingest_id], current_grouping(con))
            periods = tuple(r[0] for r in con.execute(
                sql("deliveries_slice_periods"), {"ingest_id": ingest_id}).fetchall())
            con.execute(sql("deliveries_insert"), {
                "ingest_id": ingest_id, "file_name": path.name, "file_path": str(path.resolve()),
                "sha256": digest, "focus_version": version, "file_format": file_format,
                "loaded_by": loaded_by, "row_count": rows, "dropped_columns": list(extra),
                "notes": "\n".join(notices) or None,
            })
            record_store_audit(con, username=loaded_by, action="ingest", target=path.name,
                               detail=f"delivery {ingest_id}: {rows:,} rows, FOCUS {version}"
                                      + (f"; replaced deliveries {', '.join(map(str, replaced_ids))}"
                                         if replaced_ids else ""))
    except IngestError:
        raise
    except (duckdb.Error, BadValues) as exc:
        raise IngestError(diagnose(con, params, shown, file_format, exc)) from exc
    finally:
        drop_scratch(con)

    status = "replaced" if replaced_ids else "loaded"
    report(1.0, f"{status}: {rows:,} rows (delivery {ingest_id})")
    return IngestResult(path=shown, status=status, ingest_id=ingest_id, rows=rows, focus_version=version,
                        replaced_ingest_ids=replaced_ids, notices=tuple(notices), periods=periods)


def _sniff_format(path: Path, shown: str) -> tuple[str, str]:
    """(file_format, csv compression) from the name, confirmed by the first bytes."""
    name = path.name.lower()
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_CSV_SNIFF_BYTES)
    except OSError as exc:
        raise IngestError(f"{shown}: cannot be read ({exc.strerror or exc})") from exc
    if size == 0:
        raise IngestError(f"{shown}: the file is empty; nothing was stored")
    if name.endswith(".parquet"):
        if head[:4] != b"PAR1":
            raise IngestError(f"{shown}: is named .parquet but is not a Parquet file; nothing was stored")
        return "parquet", "none"
    if name.endswith(".csv.gz"):
        if head[:2] != b"\x1f\x8b":
            raise IngestError(f"{shown}: is named .csv.gz but is not gzip-compressed; nothing was stored")
        try:
            with gzip.open(path, "rb") as fh:
                text = fh.read(_CSV_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise IngestError(f"{shown}: is not a valid gzip file ({exc}); nothing was stored") from exc
        _check_text(text, shown)
        return "csv.gz", "gzip"
    if name.endswith(".csv"):
        if head[:2] == b"\x1f\x8b":
            raise IngestError(f"{shown}: is gzip-compressed; name it .csv.gz. Nothing was stored")
        if head[:4] == b"PAR1":
            raise IngestError(f"{shown}: is a Parquet file; name it .parquet. Nothing was stored")
        _check_text(head, shown)
        return "csv", "none"
    raise IngestError(f"{shown}: not a FOCUS file Tierline reads (expected .csv, .csv.gz or .parquet); "
                      f"nothing was stored")


def _check_text(head: bytes, shown: str) -> None:
    if not head.strip():
        raise IngestError(f"{shown}: the file is empty; nothing was stored")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise IngestError(f"{shown}: is UTF-16 encoded; save it as UTF-8 CSV. Nothing was stored")
    if head[:4] == b"PK\x03\x04":
        raise IngestError(f"{shown}: is a ZIP/Excel file, not a CSV; export it as CSV. Nothing was stored")
    if b"\x00" in head:
        raise IngestError(f"{shown}: is not a text CSV file (it contains binary data); nothing was stored")


def _sha256(path: Path, report: Reporter) -> str:
    h = hashlib.sha256()
    size = max(_size(path), 1)
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
            done += len(chunk)
            if size > 64 * _HASH_CHUNK:
                report(_P_HASHED * done / size, "hashing")
    return h.hexdigest()


def _typed_columns(con: duckdb.DuckDBPyConnection, path: Path, shown: str, file_format: str) -> list[str]:
    """The Parquet file's columns landing reads in their own type (typed_columns); [] for CSV."""
    if file_format != "parquet":
        return []
    try:
        schema = con.execute(sql("landing_parquet_types"), {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        raise IngestError(f"{shown}: {reader_problem(exc, file_format)}; nothing was stored") from exc
    return typed_columns(schema)


def _define_macros(con: duckdb.DuckDBPyConnection, file_format: str, typed: Sequence[str]) -> None:
    con.execute(sql("landing_macro_ts"))
    con.execute(sql("landing_macro_try_ts"))
    con.execute(sql("landing_macro_num"))
    con.execute(sql("landing_macro_cost"))
    con.execute(sql("landing_macro_text"))
    if file_format != "parquet":
        con.execute(sql("landing_macro_csv"))
    else:
        con.execute(sql("landing_macro_parquet_typed" if typed else "landing_macro_parquet"))
    con.execute(sql("landing_macro_src"))


def _read_header(con: duckdb.DuckDBPyConnection, params: dict, shown: str, file_format: str) -> list[str]:
    try:
        return [r[0] for r in con.execute(sql("landing_file_columns"), params).fetchall()]
    except duckdb.Error as exc:
        raise IngestError(f"{shown}: {reader_problem(exc, file_format)}; nothing was stored") from exc


def _check_header(columns: list[str], shown: str) -> tuple[str, list[str], list[str]]:
    """(version, extra columns, notices) — or IngestError for a header that is not FOCUS Cost and Usage."""
    lower = {c.lower(): c for c in columns}
    if "contractcommitmentid" in lower and "billedcost" not in lower:
        raise OtherFocusDataset(f"{shown}: is a FOCUS Contract Commitment dataset; Tierline ingests Cost and "
                          f"Usage files only. Nothing was stored")
    missing = [c for c in MANDATORY_COLUMNS if c.lower() not in lower]
    if "providername" not in lower and "serviceprovidername" not in lower:
        missing.insert(0, "ProviderName")
    if missing:
        hint = ""
        if len(columns) == 1 and re.search(r"[;\t|]", columns[0]):
            hint = " The header has a single column: FOCUS CSV files must be comma-separated."
        elif len(missing) >= len(MANDATORY_COLUMNS):
            shown_cols = ", ".join(columns[:5]) + (", …" if len(columns) > 5 else "")
            hint = f" Is it a FOCUS Cost and Usage file? Its columns: {shown_cols}."
        raise IngestError(f"{shown}: missing mandatory FOCUS column{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(missing)}.{hint} Nothing was stored")
    canonical = {c.lower() for c in CANONICAL_COLUMNS}
    extra = [c for c in columns if c.lower() not in canonical]
    notices: list[str] = []
    if extra:
        notices.append(f"{len(extra)} column{'s' if len(extra) > 1 else ''} outside the canonical FOCUS set "
                       f"kept in x_Extra: {', '.join(extra)}")
    for old, new in (("ProviderName", "ServiceProviderName"), ("PublisherName", "HostProviderName")):
        if old.lower() not in lower and new.lower() in lower:
            notices.append(f"{old} filled from {new} (the file has no {old} column)")
    return detect_version(columns), extra, notices


def _check_codes(con: duckdb.DuckDBPyConnection, ingest_id: int) -> None:
    for category, billing_ccy, pricing_ccy in con.execute(sql("landing_codes"), {"ingest_id": ingest_id}).fetchall():
        if category not in CHARGE_CATEGORIES or billing_ccy not in ISO_CURRENCIES or (
                pricing_ccy is not None and pricing_ccy not in ISO_CURRENCIES):
            raise BadValues(f"bad code: {category!r} {billing_ccy!r} {pricing_ccy!r}")


def _replacement_notice(overlaps: list[tuple]) -> str:
    parts = [f"{provider} {account} {period:%Y-%m} ({rows:,} rows of delivery {old})"
             for old, provider, account, period, rows in overlaps[:5]]
    more = f" and {len(overlaps) - 5} more" if len(overlaps) > 5 else ""
    return "re-delivery: replaced " + "; ".join(parts) + more


def _with_partial_note(message: str, loaded: list[IngestResult], not_tried: Sequence[Path]) -> str:
    notes = []
    if loaded:
        names = ", ".join(Path(r.path).name for r in loaded[:5]) + (" …" if len(loaded) > 5 else "")
        notes.append(f"the {len(loaded)} file{'s' if len(loaded) > 1 else ''} before it stay loaded ({names})")
    if not_tried:
        notes.append(f"{len(not_tried)} file{'s' if len(not_tried) > 1 else ''} after it were not tried")
    return message + (" — " + "; ".join(notes) + "." if notes else "")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0

