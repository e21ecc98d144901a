"""What every document module shares: the invoice and credit-note shapes they accept, the checks
that refuse a document that does not add up, money and date text, and hostile-text handling.

An invoice is the dict `queries.scope.invoice_detail` returns (header keys plus `lines`); a
credit note is the dict described in docs/invoices.md. Money is Decimal at the currency's
minor unit (pricing.money); a float anywhere is refused, never rounded into shape.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal

from pricing.money import HUNDRED, ISO_CURRENCIES, ZERO, calc, minor_unit, round_line

INVOICE_KINDS = ("service", "credit", "fee", "correction", "tax")
NOTE_KINDS = ("service", "credit", "fee", "correction", "credit_note")   # revenue they reverse
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _where(doc: dict, what: str = "invoice") -> str:
    ref = doc.get("number") or (f"id {doc['invoice_id']}" if doc.get("invoice_id") is not None else None)
    return f"{what} {ref}" if ref else what


def money(value, field_name: str, currency: str) -> Decimal:
    """An amount as the documents need it: a Decimal already at the currency's minor unit."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ValueError(f"{field_name} must be a Decimal amount, got {type(value).__name__} {value!r}.")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{field_name} must be a finite amount, got {value!r}.")
    if round_line(value, currency) != value:
        raise ValueError(f"{field_name} {value} has more decimal places than {currency}'s "
                         f"{minor_unit(currency)}; invoice amounts are rounded once, before they reach a document.")
    return value


def rate(value, field_name: str = "tax_rate_pct") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ValueError(f"{field_name} must be a Decimal percentage, got {type(value).__name__} {value!r}.")
    value = Decimal(value)
    if not value.is_finite() or value < ZERO or value > HUNDRED:
        raise ValueError(f"{field_name} must be a percentage from 0 to 100, got {value}.")
    return value


def check_currency(value, where: str) -> str:
    if value not in ISO_CURRENCIES:
        raise ValueError(f"{where} has currency {value!r}, which is not an ISO 4217 code.")
    return value


def item_lines(invoice: dict) -> list[dict]:
    """The lines that make the subtotal: every line but informational 'tax' lines (tax is the
    header's, shown beside the subtotal with its rate; docs/pricing.md §7)."""
    return [ln for ln in invoice.get("lines") or [] if ln.get("kind") != "tax"]


def check_invoice(invoice: dict) -> None:
    """Refuse an invoice dict whose figures do not add up: Σ lines = subtotal,
    tax = round(subtotal × rate / 100), total = subtotal + tax, every amount exact."""
    if not isinstance(invoice, dict):
        raise ValueError(f"an invoice must be a dict as queries.scope.invoice_detail returns, "
                         f"got {type(invoice).__name__}.")
    where = _where(invoice)
    ccy = check_currency(invoice.get("currency"), where)
    status = invoice.get("status")
    if status not in ("draft", "issued"):
        raise ValueError(f"{where} has status {status!r}; expected 'draft' or 'issued'.")
    if status == "issued" and not invoice.get("number"):
        raise ValueError(f"{where} is issued but has no number.")
    if not isinstance(invoice.get("lines"), (list, tuple)):
        raise ValueError(f"{where} has no lines list; read it with queries.scope.invoice_detail.")
    total_lines = ZERO
    for i, ln in enumerate(invoice["lines"], start=1):
        if ln.get("kind") not in INVOICE_KINDS:
            raise ValueError(f"{where} line {ln.get('line_no', i)} has kind {ln.get('kind')!r}; "
                             f"allowed: {', '.join(INVOICE_KINDS)}.")
        amount = money(ln.get("amount"), f"{where} line {ln.get('line_no', i)} amount", ccy)
        if ln["kind"] != "tax":
            total_lines += amount
    subtotal = money(invoice.get("subtotal"), f"{where} subtotal", ccy)
    tax = money(invoice.get("tax"), f"{where} tax", ccy)
    total = money(invoice.get("total"), f"{where} total", ccy)
    pct = rate(invoice.get("tax_rate_pct"), f"{where} tax_rate_pct")
    if total_lines != subtotal:
        raise ValueError(f"{where}: its lines add up to {total_lines} but its subtotal is {subtotal}.")
    with calc():
        expected_tax = round_line(subtotal * pct / HUNDRED, ccy)
    if expected_tax != tax:
        raise ValueError(f"{where}: tax {tax} is not {pct}% of the subtotal {subtotal} rounded to {ccy}.")
    if subtotal + tax != total:
        raise ValueError(f"{where}: subtotal {subtotal} + tax {tax} is not the total {total}.")


def check_credit_note(note: dict, invoice: dict | None = None) -> None:
    """A credit note: positive amount (what is credited, before tax), tax at the rate of the
    invoice it credits, total = amount + tax; with `invoice`, it must be that issued invoice's,
    in its currency, and credit no more than its total."""
    if not isinstance(note, dict):
        raise ValueError(f"a credit note must be a dict, got {type(note).__name__}.")
    where = _where(note, "credit note")
    if not note.get("number"):
        raise ValueError("a credit note must have a number (credit notes are only made issued).")
    if not note.get("invoice_number"):
        raise ValueError(f"{where} must name the invoice it credits (invoice_number).")
    ccy = check_currency(note.get("currency"), where)
    amount = money(note.get("amount"), f"{where} amount", ccy)
    tax = money(note.get("tax"), f"{where} tax", ccy)
    total = money(note.get("total"), f"{where} total", ccy)
    pct = rate(note.get("tax_rate_pct"), f"{where} tax_rate_pct")
    if amount <= ZERO:
        raise ValueError(f"{where} amount must be more than zero (the amount credited), got {amount}.")
    with calc():
        expected_tax = round_line(amount * pct / HUNDRED, ccy)
    if expected_tax != tax:
        raise ValueError(f"{where}: tax {tax} is not {pct}% of the amount {amount} rounded to {ccy}.")
    if amount + tax != total:
        raise ValueError(f"{where}: amount {amount} + tax {tax} is not the total {total}.")
    lines = note.get("lines")
    if lines:
        for i, ln in enumerate(lines, start=1):
            if (ln.get("kind") or "credit_note") not in NOTE_KINDS:
                raise ValueError(f"{where} line {i} has kind {ln.get('kind')!r}; allowed: {', '.join(NOTE_KINDS)}.")
        got = sum((money(ln.get("amount"), f"{where} line {i} amount", ccy)
                   for i, ln in enumerate(lines, start=1)), ZERO)
        if got != amount:
            raise ValueError(f"{where}: its lines add up to {got} but its amount is {amount}.")
    if invoice is not None:
        check_invoice(invoice)
        if invoice["status"] != "issued":
            raise ValueError(f"{where} credits a draft invoice; only issued invoices can be credited.")
        if note["invoice_number"] != invoice["number"]:
            raise ValueError(f"{where} credits invoice {note['invoice_number']}, not {invoice['number']}.")
        if ccy != invoice["currency"]:
            raise ValueError(f"{where} is in {ccy} but invoice {invoice['number']} is in {invoice['currency']}.")
        if pct != Decimal(invoice["tax_rate_pct"]):
            raise ValueError(f"{where} uses tax rate {pct}% but invoice {invoice['number']} was taxed at "
                             f"{invoice['tax_rate_pct']}%.")
        if total > invoice["total"]:
            raise ValueError(f"{where} credits {total}, more than invoice {invoice['number']}'s total "
                             f"{invoice['total']}.")


def note_lines(note: dict, *, with_reason: bool = True) -> list[dict]:
    """A credit note's lines: its own, else one line for the whole amount ("Credit for invoice
    N: reason"; the PDF shows the reason apart, so it asks without it)."""
    if note.get("lines"):
        return [{"kind": ln.get("kind") or "credit_note", "description": ln.get("description") or "",
                 "amount": ln["amount"]} for ln in note["lines"]]
    reason = (note.get("reason") or "").strip()
    text = f"Credit for invoice {note['invoice_number']}" + (f": {reason}" if reason and with_reason else "")
    return [{"kind": "credit_note", "description": text, "amount": note["amount"]}]


# --- text --------------------------------------------------------------------------------------

def amount_text(value: Decimal, currency: str, *, code: bool = False) -> str:
    """'9,500.00', JPY '1,235', KWD '1.250'; with code 'USD 9,500.00' / 'USD -50.00'."""
    q = round_line(value, currency)
    if q == ZERO:
        q = abs(q)     # never '-0.00'
    text = f"{q:,.{minor_unit(currency)}f}"
    return f"{currency} {text}" if code else text


def plain_amount(value: Decimal, currency: str) -> str:
    """What a CSV holds: '9500.00', '-50.00', JPY '1235' (no separators, '.' decimal point)."""
    q = round_line(value, currency)
    if q == ZERO:
        q = abs(q)
    return format(q, "f")


def rate_text(pct: Decimal) -> str:
    """Decimal('19.0000') → '19', Decimal('8.2500') → '8.25'."""
    pct = Decimal(pct)
    text = format(pct.quantize(Decimal("0.0001")), "f").rstrip("0").rstrip(".")
    return text or "0"


def as_date(value, field_name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise ValueError(f"{field_name} must be a date, got {value!r}.")


def long_date(value: date) -> str:
    """'1 June 2026': no locale, no ambiguity between day and month."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def period_text(value) -> str:
    """date(2026, 5, 1) → 'May 2026'."""
    d = as_date(value, "period")
    return f"{MONTHS[d.month - 1]} {d.year}"


def period_key(value) -> str:
    return f"{as_date(value, 'period'):%Y-%m}"


def clean_text(value, limit: int | None = None) -> str:
    """Provider and configuration text made safe to lay out: None → '', control characters and
    line breaks → one space, invisible format characters (bidi overrides, zero-width joiners)
    dropped, runs of spaces collapsed; cut to `limit` characters with '…'."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable() and "  " not in text and text == text.strip() and unicodedata.is_normalized("NFC", text):
        # the common case, decided in C: no control, format, line-break or odd space characters
        return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp") or ch.isspace():
            out.append(" ")
        elif cat in ("Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    text = " ".join("".join(out).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
