"""What the reports share: result rows as dicts, money at the currency's places, a FOCUS row's
share of its pricing group, and the bound on how many rows one read returns.

Money is rounded by pricing.money.round_line, THE rounding rule, and nowhere else.
"""
from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

import duckdb

from pricing.money import ZERO, ledger, round_line

MAX_ROWS = 100_000


def records(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    """The executed statement's rows as {column: value} dicts."""
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def money_text(amount: Decimal | None, currency: str) -> str:
    """A money string with the currency's minor-unit places: '9500.00', JPY '1235' (None: 0)."""
    return format(round_line(amount if amount is not None else ZERO, currency), "f")


def row_share(price: Decimal, part: Decimal, whole: Decimal, rows: int, all_rows: int) -> Decimal:
    """price × part / whole (rows / all_rows when whole is 0), to the ledger's 10 places: a FOCUS
    row's share of its group's price (docs/pricing.md §8). In Decimal, because DuckDB divides
    DECIMALs as DOUBLE."""
    with localcontext() as ctx:
        ctx.prec = 80
        if whole != ZERO:
            return ledger(price * part / whole)
        if all_rows:
            return ledger(price * Decimal(rows) / Decimal(all_rows))
        return ZERO


def check_limit(limit: Any) -> int:
    """`limit` when it is a whole number from 1 to MAX_ROWS; ValueError otherwise."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_ROWS}")
    return limit
