"""Accounting files: invoice and credit-note dicts in, CSV bytes out.

- `lines_csv`: every line of every document, with its header figures (drafts included).
- `quickbooks_csv`: QuickBooks Online's invoice import (InvoiceNo, Customer, InvoiceDate,
  DueDate, Item(Product/Service), ItemDescription, ItemQuantity, ItemRate, ItemAmount,
  ItemTaxCode, Currency).
- `xero_csv`: Xero's sales invoice import (ContactName, InvoiceNumber, InvoiceDate, DueDate,
  Description, Quantity, UnitAmount, AccountCode, TaxType, Currency).
- `journal_csv`: a balanced journal (date, account, debit, credit, currency, memo, invoice) for
  NetSuite-style imports: per invoice, receivables debited with the total, revenue credited per
  line, tax payable credited with the tax; a credit note posts the reverse.

Invariants the tests hold: per document the item amounts add up to its subtotal (a credit
note's: minus its amount) and the journal's debits equal its credits. Each seller's codes come
from its `Branding.accounting` (`sellers`, keyed by seller id; defaults for a seller not in it).
Credit notes appear as negative amounts under their own number. Text cells are neutralised
against spreadsheet formula injection (a leading = + - @ gets an apostrophe): provider data is
hostile. Amounts are plain decimals at the currency's minor unit ('9500.00', JPY '1235').
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from data.documents.branding import AccountingCodes, Branding, due_date
from data.documents.common import (
    as_date,
    check_credit_note,
    check_invoice,
    clean_text,
    item_lines,
    note_lines,
    period_key,
    plain_amount,
    rate_text,
)
from pricing.money import ZERO

LINES_COLUMNS = ("document", "number", "status", "seller", "seller_name", "buyer", "buyer_name",
                 "period", "issue_date", "currency", "line_no", "kind", "provider", "service",
                 "description", "amount", "tax_rate_pct", "subtotal", "tax", "total", "credits_invoice")
QUICKBOOKS_COLUMNS = ("InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Item(Product/Service)",
                      "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount", "ItemTaxCode", "Currency")
XERO_COLUMNS = ("ContactName", "InvoiceNumber", "InvoiceDate", "DueDate", "Description", "Quantity",
                "UnitAmount", "AccountCode", "TaxType", "Currency")
JOURNAL_COLUMNS = ("date", "account", "debit", "credit", "currency", "memo", "invoice")

# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets
# (tab and carriage return too; clean_text has already turned those into spaces).
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_text(value, limit: int | None = None) -> str:
    """A text cell: cleaned (clean_text) and, when it would start a formula, led by an apostrophe."""
    text = clean_text(value, limit)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")   # RFC 4180, what both importers expect
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


# --- the documents, normalised ---------------------------------------------------------------

class _Doc:
    """One invoice or credit note as the exports see it: signed item lines that add up to
    `net` (negative for a credit note), `tax` and `total` signed the same way."""

    def __init__(self, *, kind: str, source: dict, codes: AccountingCodes, terms: int | None,
                 require_issued: bool) -> None:
        self.kind = kind
        self.source = source
        self.codes = codes
        self.currency = source["currency"]
        self.number = source.get("number") or ""
        self.seller = source.get("seller") or ""
        self.customer = source.get("buyer_name") or source.get("buyer") or ""
        issued_at = source.get("issued_at")
        self.issue_date: date | None = as_date(issued_at, f"{kind} {self.number} issued_at") if issued_at else None
        if require_issued and (self.issue_date is None or not self.number):
            ref = self.number or f"id {source.get('invoice_id')}"
            raise ValueError(f"{kind} {ref} is a draft; only issued invoices and credit notes go to "
                             f"accounting files.")
        self.due_date = (None if self.issue_date is None else
                         due_date(self.issue_date, terms) if terms is not None else self.issue_date)
        self.rate = Decimal(source["tax_rate_pct"])
        if kind == "invoice":
            self.lines = [dict(ln) for ln in item_lines(source)]
            self.net, self.tax, self.total = source["subtotal"], source["tax"], source["total"]
        else:
            self.lines = [{**ln, "amount": -ln["amount"], "line_no": i, "provider": None, "service": None}
                          for i, ln in enumerate(note_lines(source), start=1)]
            self.net, self.tax, self.total = -source["amount"], -source["tax"], -source["total"]

    def date_text(self, value: date | None) -> str:
        return "" if value is None else value.strftime(self.codes.date_format)

    def tax_code(self, quickbooks: bool) -> str:
        taxable = self.rate > ZERO
        if quickbooks:
            return self.codes.quickbooks_taxable if taxable else self.codes.quickbooks_exempt
        return self.codes.xero_taxable if taxable else self.codes.xero_exempt


def _codes(seller: str, seller_name: str | None, sellers: Mapping[str, Branding] | None) -> Branding:
    found = (sellers or {}).get(seller)
    if found is not None and not isinstance(found, Branding):
        raise ValueError(f"sellers[{seller!r}] must be a Branding, got {type(found).__name__}.")
    return found if found is not None else Branding.plain(seller or "seller", seller_name)


def _documents(invoices: Sequence[dict], credit_notes: Sequence[dict],
               sellers: Mapping[str, Branding] | None, *, require_issued: bool) -> list[_Doc]:
    docs = []
    for inv in invoices:
        check_invoice(inv)
        brand = _codes(inv.get("seller"), inv.get("seller_name"), sellers)
        docs.append(_Doc(kind="invoice", source=inv, codes=brand.accounting,
                         terms=brand.payment_terms_days, require_issued=require_issued))
    for note in credit_notes:
        check_credit_note(note)
        brand = _codes(note.get("seller"), note.get("seller_name"), sellers)
        docs.append(_Doc(kind="credit_note", source=note, codes=brand.accounting, terms=None,
                         require_issued=True))
    for doc in docs:   # the invariant every export rests on; check_* made sure of it already
        if sum((ln["amount"] for ln in doc.lines), ZERO) != doc.net:
            raise ValueError(f"{doc.kind} {doc.number}: its lines do not add up to its subtotal.")
    return docs


# --- the files ---------------------------------------------------------------------------------

def lines_csv(invoices: Sequence[dict], credit_notes: Sequence[dict] = (), *,
              sellers: Mapping[str, Branding] | None = None) -> bytes:
    """Every line of every document (drafts too, status 'draft', no number or issue date), with
    the document's header figures repeated on each line. Credit-note amounts are negative."""
    rows = []
    for doc in _documents(invoices, credit_notes, sellers, require_issued=False):
        src, ccy = doc.source, doc.currency
        period = src.get("period")
        for ln in doc.lines:
            rows.append([
                doc.kind, csv_text(doc.number), src.get("status") or "issued", csv_text(doc.seller),
                csv_text(src.get("seller_name")), csv_text(src.get("buyer")), csv_text(src.get("buyer_name")),
                period_key(period) if period is not None else "",
                doc.issue_date.isoformat() if doc.issue_date else "", ccy, str(ln.get("line_no") or ""),
                ln["kind"], csv_text(ln.get("provider")), csv_text(ln.get("service")),
                csv_text(ln.get("description")), plain_amount(ln["amount"], ccy), rate_text(doc.rate),
                plain_amount(doc.net, ccy), plain_amount(doc.tax, ccy), plain_amount(doc.total, ccy),
                csv_text(src.get("invoice_number")) if doc.kind == "credit_note" else "",
            ])
    return _csv(LINES_COLUMNS, rows)


def quickbooks_csv(invoices: Sequence[dict], credit_notes: Sequence[dict] = (), *,
                   sellers: Mapping[str, Branding] | None = None) -> bytes:
    """QuickBooks Online invoice import: one row per line, quantity 1 at the line's amount, the
    item named per line kind (AccountingCodes.item_*), the tax code by the invoice's rate.
    Issued documents only (a draft is a ValueError)."""
    rows = []
    for doc in _documents(invoices, credit_notes, sellers, require_issued=True):
        for ln in doc.lines:
            amount = plain_amount(ln["amount"], doc.currency)
            rows.append([csv_text(doc.number), csv_text(doc.customer), doc.date_text(doc.issue_date),
                         doc.date_text(doc.due_date), csv_text(doc.codes.item(ln["kind"])),
                         csv_text(ln.get("description")), "1", amount, amount, csv_text(doc.tax_code(True)),
                         doc.currency])
    return _csv(QUICKBOOKS_COLUMNS, rows)


def xero_csv(invoices: Sequence[dict], credit_notes: Sequence[dict] = (), *,
             sellers: Mapping[str, Branding] | None = None) -> bytes:
    """Xero sales invoice import: one row per line, quantity 1 at the line's amount (tax
    exclusive), the revenue account per line kind, the tax type by the invoice's rate.
    Issued documents only."""
    rows = []
    for doc in _documents(invoices, credit_notes, sellers, require_issued=True):
        for ln in doc.lines:
            rows.append([csv_text(doc.customer), csv_text(doc.number), doc.date_text(doc.issue_date),
                         doc.date_text(doc.due_date), csv_text(ln.get("description")), "1",
                         plain_amount(ln["amount"], doc.currency),
                         csv_text(doc.codes.revenue_account(ln["kind"])), csv_text(doc.tax_code(False)),
                         doc.currency])
    return _csv(XERO_COLUMNS, rows)


def journal_csv(invoices: Sequence[dict], credit_notes: Sequence[dict] = (), *,
                sellers: Mapping[str, Branding] | None = None) -> bytes:
    """A balanced journal: per invoice, debit receivables with the total, credit revenue per
    line (a negative line is a debit) and tax payable with the tax; a credit note posts the
    same with the sides swapped. Zero postings are left out. Issued documents only."""
    rows = []
    for doc in _documents(invoices, credit_notes, sellers, require_issued=True):
        # signed: + is a credit, − a debit (the receivable is the other side of the sale)
        label = "Invoice" if doc.kind == "invoice" else "Credit note"
        head = f"{label} {doc.number} to {doc.customer}"
        postings = [(doc.codes.receivable, -doc.total, head)]
        postings += [(doc.codes.revenue_account(ln["kind"]), ln["amount"],
                      f"{head}: {ln.get('description') or ln['kind']}") for ln in doc.lines]
        postings.append((doc.codes.tax_payable, doc.tax, f"{head}: tax {rate_text(doc.rate)}%"))
        if sum((amount for _, amount, _ in postings), ZERO) != ZERO:
            raise ValueError(f"{label.lower()} {doc.number}: its journal does not balance.")
        for account, amount, memo in postings:
            if amount == ZERO:
                continue
            debit = plain_amount(-amount, doc.currency) if amount < ZERO else ""
            credit = plain_amount(amount, doc.currency) if amount > ZERO else ""
            rows.append([doc.date_text(doc.issue_date), csv_text(account), debit, credit, doc.currency,
                         csv_text(memo), csv_text(doc.number)])
    return _csv(JOURNAL_COLUMNS, rows)
