"""A buyer's own FOCUS 1.2 file (docs/focus-export.md): its rows of one billed period at its own
price, in its own currency, from the seller that invoices it. `cli.py export focus` calls
`export_focus`.

Read only through the scoped access layer (queries.reports.costs.customer_focus_rows, the
invoice reads of queries.reports.invoices): the user's scope decides which buyer it may export,
and the seller's cost never reaches this module. What each FOCUS cost column holds:
- BilledCost, EffectiveCost, ContractedCost: the row's exact share of its pricing group's price
  (docs/pricing.md §8), what the buyer pays; ContractedCost is mandatory in FOCUS, and the
  provider's contracted cost is the seller's cost basis, so it says the buyer's price too;
- ListCost, ListUnitPrice: the provider's list prices, converted at the rate the run priced the
  row with; ContractedUnitPrice left empty (it would be the seller's negotiated unit price);
- BillingCurrency: the buyer's; InvoiceIssuerName: the seller; InvoiceId: the invoice number once
  issued (empty on a draft); BillingAccountId/Name: the buyer's account with the seller.
The file is written to a temporary file next to FILE and renamed onto it: nothing half-written.
"""
from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from data.focus import FOCUS_12_COLUMNS, LANDED_ELSEWHERE
from pricing.invoice import service_label
from pricing.money import ZERO, ledger, round_line
from queries.reports.costs import customer_focus_rows
from queries.reports.invoices import invoice_detail, invoices
from queries.scope import Scope, ScopeError, check_period, edge


class ExportError(ValueError):
    """The export cannot be written; the message is one sentence naming what is wrong."""


MONEY = pa.decimal128(38, 10)
TIMESTAMP = pa.timestamp("us", tz="UTC")

# Costs the buyer pays (its share) and list prices converted into its currency.
_PRICE_COLUMNS = ("BilledCost", "EffectiveCost", "ContractedCost")
_LIST_COLUMNS = ("ListCost", "ListUnitPrice")
_DECIMAL_COLUMNS = frozenset({*_PRICE_COLUMNS, *_LIST_COLUMNS, "ContractedUnitPrice",
                              "PricingQuantity", "ConsumedQuantity", "CommitmentDiscountQuantity"})
_TIME_COLUMNS = frozenset({"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
                           "ChargePeriodEnd"})
# The 1.2 columns of the file: every one landing keeps (the PricingCurrency* costs and
# SkuPriceDetails are kept only in landing's x_Extra and are not exported).
EXPORT_COLUMNS: tuple[str, ...] = tuple(c for c in FOCUS_12_COLUMNS if c not in LANDED_ELSEWHERE)


def _type(column: str) -> pa.DataType:
    if column in _DECIMAL_COLUMNS:
        return MONEY
    if column in _TIME_COLUMNS:
        return TIMESTAMP
    return pa.string()


SCHEMA = pa.schema([pa.field(c, _type(c)) for c in EXPORT_COLUMNS])


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    currency: str
    billed_cost: Decimal           # Σ BilledCost, unrounded
    invoice_number: str | None     # None while the invoice is a draft
    status: str                    # draft | issued


def line_key(row: dict) -> tuple:
    """The invoice line a FOCUS row's price is on (pricing/invoice.py): a passed credit on its
    provider's credit line, every other row on its (provider, service) line (a provider correction
    on the line of the month it corrects)."""
    if row["x_Treatment"] == "passed_credit":
        return ("credit", row["ProviderName"], None)
    return ("service", row["ProviderName"],
            service_label(row["ServiceName"], row["ChargeClass"], row.get("x_CorrectsPeriod")))


def _invoice(con: duckdb.DuckDBPyConnection, scope: Scope, seller: str, buyer: str, period) -> dict:
    found = [i for i in invoices(con, scope, period) if i["seller"] == seller and i["buyer"] == buyer]
    if not found:
        raise ExportError(f"There is no {period:%Y-%m} invoice from {seller} to {buyer}, so there is "
                          f"nothing to export for that period.")
    return invoice_detail(con, scope, found[0]["invoice_id"])


def check_against_invoice(rows: list[dict], invoice: dict) -> None:
    """ExportError unless Σ BilledCost of the rows of each service and credit line, rounded once
    to the currency, is that line's amount (docs/focus-export.md)."""
    ccy = invoice["currency"]
    sums: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        sums[line_key(r)] += r["BilledCost"]
    lines = {(ln["kind"], ln["provider"], ln["service"] if ln["kind"] == "service" else None): ln["amount"]
             for ln in invoice["lines"] if ln["kind"] in ("service", "credit")}
    for key in set(sums) | set(lines):
        got = round_line(sums.get(key, ZERO), ccy)
        want = lines.get(key, round_line(ZERO, ccy))
        if got != want:
            raise ExportError(
                f"The {ccy} rows of the line {' '.join(k for k in key[1:] if k)} add up to {got}, "
                f"but invoice {invoice['number'] or invoice['invoice_id']} says {want}: the provider "
                f"data changed after the invoice was issued, and the difference is carried as a "
                f"correction on the next invoice.")


def focus_rows(con: duckdb.DuckDBPyConnection, scope: Scope, buyer: Any, period: Any) -> tuple[list[dict], dict]:
    """The buyer's FOCUS 1.2 rows for the period (dicts over EXPORT_COLUMNS, Decimal money) and
    its invoice (as queries.reports.invoices.invoice_detail returns it)."""
    try:
        on = edge(con, scope, buyer)
    except ScopeError:
        raise ScopeError(f"{buyer!r} is not a customer {scope.username} may export: it is unknown "
                         f"or bought from another seller.") from None
    p = check_period(con, scope, period)
    invoice = _invoice(con, scope, on.seller, on.buyer, p)
    source = customer_focus_rows(con, scope, on.buyer, p)
    ccy = on.buyer_org.currency
    out = []
    for r in source:
        row = {c: r.get(c) for c in EXPORT_COLUMNS}
        for c in _PRICE_COLUMNS:
            row[c] = r["x_Share"]
        for c in _LIST_COLUMNS:
            row[c] = ledger(r[c] * r["x_FxRate"]) if r[c] is not None else None
        row["ContractedUnitPrice"] = None
        row["BillingCurrency"] = ccy
        if row.get("PricingCurrency") is not None:
            row["PricingCurrency"] = ccy      # the list unit price is converted with the costs
        row["InvoiceIssuerName"] = invoice["seller_name"]
        row["InvoiceId"] = invoice["number"] if invoice["status"] == "issued" else None
        row["BillingAccountId"] = on.buyer
        row["BillingAccountName"] = on.buyer_org.name
        row["x_Treatment"] = r["x_Treatment"]
        row["x_CorrectsPeriod"] = r["x_CorrectsPeriod"]   # as the run grouped it: the line it is on
        out.append(row)
    check_against_invoice(out, invoice)
    return out, invoice


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pydict({c: [r[c] for r in rows] for c in EXPORT_COLUMNS}, schema=SCHEMA)


def write_parquet(rows: list[dict], out: Path) -> None:
    """Write the rows to `out` through a temporary file in the same folder and one rename."""
    folder = out.parent
    if not folder.is_dir():
        raise ExportError(f"The folder {folder} does not exist, so {out.name} cannot be written there.")
    if out.is_dir():
        raise ExportError(f"{out} is a folder, not a file name.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"{out} cannot be written: {exc.strerror or exc}.") from None
    os.close(fd)
    try:
        pq.write_table(_table(rows), tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"{out} cannot be written: {exc.strerror or exc}.") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_focus(con: duckdb.DuckDBPyConnection, scope: Scope, buyer: Any, period: Any,
                 out: str | Path) -> ExportResult:
    """Write buyer's FOCUS 1.2 rows of `period` to the Parquet file `out` (see the module doc).
    ScopeError / ValueError / ExportError (one sentence each) and nothing written on bad input."""
    path = Path(out)
    rows, invoice = focus_rows(con, scope, buyer, period)
    write_parquet(rows, path)
    return ExportResult(path=path, rows=len(rows), currency=invoice["currency"],
                        billed_cost=sum((r["BilledCost"] for r in rows), ZERO),
                        invoice_number=invoice["number"], status=invoice["status"])
