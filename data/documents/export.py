"""The bridge from the store to the invoice documents (issue #11): what `cli.py invoices export`
and the Invoices page's downloads make.

Invoices are read ONLY through the scoped access layer (`queries.reports.invoices`:
`invoices`, `invoice_detail` for a `Scope`), so a document can only ever show an invoice its
user may see; the seller's `Branding` and the buyer's `Party` come from the configuration in
force (`data.config.seller_branding` / `buyer_party`). The renderers in this package stay pure.

- `invoice_pdf`, `invoice_lines_csv`: one invoice → (file name, bytes).
- `credit_note_pdf`: one credit note → (file name, bytes).
- `period_files(con, scope, period, fmt, seller=None)`: a period's documents in one format →
  [(file name, bytes)]: `pdf` one file per invoice (issued or draft) and per credit note, `csv`
  the lines of every invoice and credit note, `quickbooks` / `xero` / `journal` the seller's
  issued invoices and the credit notes against them for its accounting system (admins and
  leaders of the seller only). A credit note belongs to the period of the invoice it credits.
- `write_folder(files, out)`: every file written under a temporary name and renamed, so a
  failure leaves nothing half-written.

Every refusal is an `ExportError` (a ValueError) whose message is one sentence; a scope refusal
stays a `queries.scope.ScopeError`.
"""
from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from data.documents.branding import Branding, due_date
from data.documents.common import as_date

FORMATS = ("pdf", "csv", "quickbooks", "xero", "journal")
ACCOUNTING_FORMATS = ("quickbooks", "xero", "journal")
ACCOUNTING_ROLES = ("admin", "leader")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ExportError(ValueError):
    """A document cannot be made or written; the message is one sentence naming what is wrong."""


def _safe(name: str) -> str:
    """A file name part: prefixes may hold '/', buyers' ids are ids; nothing else survives."""
    return _UNSAFE.sub("-", name).strip("-.") or "invoice"


def _config(con: duckdb.DuckDBPyConnection):
    from data.config import current_config
    doc = current_config(con)
    if doc is None:
        raise ExportError("No configuration has been imported yet; import one first.")
    return doc


def _dates(invoice: dict, seller: Branding, today: date | None) -> tuple[date, date]:
    """Issue and due date: an issued invoice's issue day; a draft is dated the day it is printed."""
    issued = as_date(invoice["issued_at"], "issued_at") if invoice.get("issued_at") else (today or date.today())
    return issued, due_date(issued, seller.payment_terms_days)


def invoice_file_name(invoice: dict, ext: str) -> str:
    """'MSP1-000042.pdf'; a draft: 'draft-2026-05-msp-one-contoso.pdf'."""
    if invoice.get("number"):
        stem = _safe(invoice["number"])
    else:
        stem = _safe(f"draft-{as_date(invoice['period'], 'period'):%Y-%m}-{invoice['seller']}-{invoice['buyer']}")
    return f"{stem}.{ext}"


def _pdf(doc, invoice: dict, today: date | None) -> tuple[str, bytes]:
    from data.config import buyer_party, seller_branding
    from data.documents.pdf import render_invoice_pdf  # fpdf2: loaded when a PDF is made
    seller = seller_branding(doc, invoice["seller"])
    issued, due = _dates(invoice, seller, today)
    data = render_invoice_pdf(invoice, seller, buyer_party(doc, invoice["buyer"]),
                              issue_date=issued, due_date=due)
    return invoice_file_name(invoice, "pdf"), data


def _note_pdf(doc, note: dict, invoice: dict) -> tuple[str, bytes]:
    from data.config import buyer_party, seller_branding
    from data.documents.pdf import render_credit_note_pdf
    data = render_credit_note_pdf(note, invoice, seller_branding(doc, note["seller"]),
                                  buyer_party(doc, note["buyer"]),
                                  issue_date=as_date(note["issued_at"], "issued_at"))
    return f"{_safe(note['number'])}.pdf", data


def credit_note_pdf(con: duckdb.DuckDBPyConnection, scope, number: Any) -> tuple[str, bytes]:
    """One credit note the scope may see (its invoice is one it may see), as its branded PDF;
    an ExportError naming the number when there is none."""
    from queries.reports.invoices import credit_notes, invoice_detail
    note = next((n for n in credit_notes(con, scope) if n["number"] == number), None)
    if note is None:
        raise ExportError(f"There is no credit note numbered {number!r} that you may see.")
    return _note_pdf(_config(con), note, invoice_detail(con, scope, note["invoice_id"]))


def invoice_pdf(con: duckdb.DuckDBPyConnection, scope, invoice_id: Any, *,
                today: date | None = None) -> tuple[str, bytes]:
    """One invoice the scope may see, as its branded PDF (ScopeError when it may not)."""
    from queries.reports.invoices import invoice_detail
    invoice = invoice_detail(con, scope, invoice_id)
    return _pdf(_config(con), invoice, today)


def invoice_lines_csv(con: duckdb.DuckDBPyConnection, scope, invoice_id: Any) -> tuple[str, bytes]:
    """One invoice the scope may see, as the lines CSV (docs/invoices.md)."""
    from data.config import seller_branding
    from data.documents.accounting import lines_csv
    from queries.reports.invoices import invoice_detail
    invoice = invoice_detail(con, scope, invoice_id)
    doc = _config(con)
    return (invoice_file_name(invoice, "csv"),
            lines_csv([invoice], sellers={invoice["seller"]: seller_branding(doc, invoice["seller"])}))


def may_export_accounting(scope, seller: str) -> bool:
    """Accounting files are the seller's books: its admins and leaders only."""
    return scope.org_id == seller and scope.has_role(*ACCOUNTING_ROLES)


def _period_invoices(con: duckdb.DuckDBPyConnection, scope, period: Any, seller: str | None,
                     number: str | None, doc) -> list[dict]:
    from queries.reports.invoices import invoice_detail, invoices
    from queries.scope import check_period
    p = check_period(con, scope, period)
    if seller is not None and seller not in {o.id for o in doc.organizations_all()}:
        raise ExportError(f"Unknown seller {seller!r}: no organisation of the configuration has that id.")
    heads = [h for h in invoices(con, scope, p) if seller is None or h["seller"] == seller]
    if number is not None:
        heads = [h for h in heads if h["number"] == number]
        if not heads:
            raise ExportError(f"There is no invoice numbered {number!r} in {p:%Y-%m} that you may see.")
    if not heads:
        of = f" of {seller}" if seller else ""
        raise ExportError(f"There are no invoices{of} for {p:%Y-%m} that you may see.")
    heads.sort(key=lambda h: (h["seller"], h["buyer"]))
    return [invoice_detail(con, scope, h["invoice_id"]) for h in heads]


def period_files(con: duckdb.DuckDBPyConnection, scope, period: Any, fmt: str, *,
                 seller: str | None = None, number: str | None = None,
                 today: date | None = None) -> list[tuple[str, bytes]]:
    """The period's documents in `fmt` (FORMATS) for the invoices the scope may see, of one
    seller or all (or the one issued invoice `number`), with the credit notes against them.
    Accounting formats: the seller's issued invoices and their credit notes, for its admins and
    leaders (seller defaults to the user's organisation)."""
    from data.config import seller_branding
    from data.documents.accounting import journal_csv, lines_csv, quickbooks_csv, xero_csv
    from queries.reports.invoices import credit_notes
    from queries.scope import ScopeError
    if fmt not in FORMATS:
        raise ExportError(f"Unknown format {fmt!r}; allowed: {', '.join(FORMATS)}.")
    doc = _config(con)
    if fmt in ACCOUNTING_FORMATS:
        seller = seller or scope.org_id
        if not may_export_accounting(scope, seller):
            raise ScopeError("Accounting files are made for the administrators and leaders of the "
                             "selling organisation only.")
    chosen = _period_invoices(con, scope, period, seller, number, doc)
    p = as_date(chosen[0]["period"], "period")
    by_id = {inv["invoice_id"]: inv for inv in chosen}
    notes = [n for n in sorted(credit_notes(con, scope, p), key=lambda n: n["credit_note_id"])
             if n["invoice_id"] in by_id]
    tag = _safe(number) if number else f"{p:%Y-%m}" + (f"-{_safe(seller)}" if seller else "")
    if fmt == "pdf":
        names: set[str] = set()
        out = []
        for inv in chosen:
            name, data = _pdf(doc, inv, today)
            if name in names:          # two prefixes that clean to one name: never overwrite
                raise ExportError(f"Two invoices would be written as {name}; give their sellers "
                                  f"different invoice prefixes.")
            names.add(name)
            out.append((name, data))
        for note in notes:
            name, data = _note_pdf(doc, note, by_id[note["invoice_id"]])
            if name in names:
                raise ExportError(f"A credit note and another document would both be written as {name}; "
                                  f"give the seller a credit_note_prefix apart from its invoice prefixes.")
            names.add(name)
            out.append((name, data))
        return out
    sellers = {s: seller_branding(doc, s) for s in sorted({inv["seller"] for inv in chosen})}
    if fmt == "csv":
        return [(f"invoice-lines-{tag}.csv", lines_csv(chosen, notes, sellers=sellers))]
    issued = [inv for inv in chosen if inv["status"] == "issued"]
    if not issued:
        raise ExportError(f"No invoice of {seller} for {p:%Y-%m} is issued yet; accounting files "
                          f"hold issued invoices only (python cli.py issue --period {p:%Y-%m}).")
    make = {"quickbooks": quickbooks_csv, "xero": xero_csv, "journal": journal_csv}[fmt]
    return [(f"{fmt}-{tag}.csv", make(issued, notes, sellers=sellers))]


def write_folder(files: list[tuple[str, bytes]], out: str | Path) -> list[Path]:
    """Write every (name, bytes) into the folder `out` (made when missing): each file under a
    temporary name first, then renamed over its final name, so nothing is ever half-written."""
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the output folder {folder}: {exc.strerror or exc}.") from None
    if not folder.is_dir():
        raise ExportError(f"The output folder {folder} is not a folder.")
    temps: list[tuple[Path, Path]] = []
    try:
        for name, data in files:
            fd, tmp = tempfile.mkstemp(prefix=".tierline-", suffix=".part", dir=folder)
            temps.append((Path(tmp), folder / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        for tmp, final in temps:
            os.replace(tmp, final)
    except OSError as exc:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise ExportError(f"Cannot write to the output folder {folder}: {exc.strerror or exc}.") from None
    return [final for _, final in temps]


def export_period(con: duckdb.DuckDBPyConnection, scope, period: Any, fmt: str, out: str | Path, *,
                  seller: str | None = None, number: str | None = None,
                  today: date | None = None) -> list[Path]:
    """period_files, then write_folder: the files written. Everything is made in memory first,
    so a refusal writes nothing."""
    return write_folder(period_files(con, scope, period, fmt, seller=seller, number=number, today=today),
                        out)
