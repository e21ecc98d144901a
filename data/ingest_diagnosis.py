"""Why a FOCUS file was refused: runs only after a failed load (data/ingest.py), so the fast path
never pays for it. It stages the file's checked columns as text (queries/landing/landing_diag_*.sql) and
names the first bad value (column, row, value), else the reader's own complaint, in one sentence.
"""
from __future__ import annotations

import re

import duckdb

from data.focus import CHARGE_CATEGORIES
from pricing.money import ISO_CURRENCIES
from queries import sql


class BadValues(Exception):
    """Internal: a check after the load found a bad value; the diagnosis names the row."""


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute(sql("landing_diag_drop"))
    except duckdb.Error:
        pass



_PROBLEM_TEXT = {
    "missing": "is empty (a value is mandatory)",
    "number": "is not a decimal number",
    "too_large": "is not below 100,000,000,000,000 in size (no single charge is that large)",
    "timestamp": "is not an ISO-8601 date/time",
    "json": "is not valid JSON",
    "charge_category": "is not a FOCUS ChargeCategory (allowed: " + ", ".join(CHARGE_CATEGORIES) + ")",
    "currency": "is not an ISO 4217 currency code",
}


def diagnose(con: duckdb.DuckDBPyConnection, params: dict, shown: str, file_format: str,
              exc: BaseException) -> str:
    """The one message for a failed load: the first bad value (column, row, value), else the
    reader's complaint, else DuckDB's own first line."""
    if not _is_value_error(exc):
        return f"{shown}: {reader_problem(exc, file_format)}; nothing was stored"
    try:
        con.execute(sql("landing_diag_stage"), params)
    except duckdb.Error as reader_exc:
        drop_scratch(con)
        return f"{shown}: {reader_problem(reader_exc, file_format)}; nothing was stored"
    try:
        problems = con.execute(sql("landing_diag_problems"),
                               {"currencies": sorted(ISO_CURRENCIES)}).fetchall()
    finally:
        drop_scratch(con)
    if not problems:
        return f"{shown}: could not be loaded: {_first_line(exc)}; nothing was stored"
    col, problem, bad_rows, first_row, example = problems[0]
    value = "" if example is None else f": {_show_value(example)}"
    others = f" ({bad_rows:,} rows affected)" if bad_rows > 1 else ""
    return (f"{shown}: column {col} {_PROBLEM_TEXT[problem]} in row {first_row:,}"
            f"{value}{others}. Rows are counted from 1 after the header. Nothing was stored")


def _is_value_error(exc: BaseException) -> bool:
    """A bad value (conversion, NOT NULL, our code checks) rather than an unreadable file."""
    return isinstance(exc, (BadValues, duckdb.ConversionException, duckdb.ConstraintException)) or (
        str(exc).startswith(("Conversion Error", "Constraint Error")))


def _show_value(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def reader_problem(exc: BaseException, file_format: str) -> str:
    text = str(exc)
    if file_format == "parquet":
        return f"could not be read as Parquet ({_first_line(exc)})"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"could not be loaded ({_first_line(exc)})"
    line = re.search(r"CSV Error on Line: (\d+)", text)
    if "not utf-8 encoded" in text.lower() or "invalid unicode" in text.lower():
        where = f" (line {line.group(1)})" if line else ""
        return f"is not UTF-8 encoded text{where}; save it as UTF-8 CSV"
    if "sniffing file" in text or "detect the CSV parsing dialect" in text:
        return ("could not be parsed as a comma-separated CSV with a header (rows with a different "
                "number of fields than the header, or broken quoting)")
    if line:
        reason = _csv_reason(text)
        return f"malformed CSV at line {line.group(1)}: {reason}"
    return f"could not be read as CSV ({_first_line(exc)})"


def _csv_reason(text: str) -> str:
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if counts:
        return f"the header has {counts.group(1)} fields but this row has {counts.group(2)}"
    lines = [ln.strip() for ln in text.splitlines()]
    for ln in lines[1:]:
        if ln and not ln.startswith(("Original Line", "Possible", "file =", "CSV Error")):
            return ln.rstrip(".")
    return "unreadable row"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


