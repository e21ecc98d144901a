"""Invoices the user's organisation issues or receives: the list, one invoice with its lines,
the credit notes against them, the portal's headline (one customer's invoice for a month) and
the CLI's invoice report.

Money comes back as `Decimal` at the currency's places, except `invoice_report` (for
`cli.py report invoices --json`), which returns strings with the currency's minor-unit places.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

import duckdb

from pricing.money import ZERO, round_line
from queries import sql
from queries.reports.common import money_text, records
from queries.scope import Edge, Scope, ScopeError, check_period, check_whole_invoice, edge, invoice_params


def _invoices(con: duckdb.DuckDBPyConnection, scope: Scope, **filters: Any) -> list[dict]:
    params = {**invoice_params(scope), "period": None, "buyer": None, "invoice_id": None, **filters}
    return records(con.execute(sql("rpt_invoices"), params))


def _lines(con: duckdb.DuckDBPyConnection, scope: Scope, **filters: Any) -> dict[int, list[dict]]:
    params = {**invoice_params(scope), "period": None, "buyer": None, "invoice_id": None, **filters}
    out: dict[int, list[dict]] = defaultdict(list)
    for line in records(con.execute(sql("rpt_invoice_lines"), params)):
        out[line["invoice_id"]].append(line)
    return out


def _notes(con: duckdb.DuckDBPyConnection, scope: Scope, **filters: Any) -> list[dict]:
    params = {**invoice_params(scope), "period": None, "buyer": None, "invoice_id": None, **filters}
    return records(con.execute(sql("rpt_credit_notes"), params))


def _header(row: dict) -> dict:
    ccy = row["currency"]
    return {
        "invoice_id": row["invoice_id"], "number": row["number"], "period": row["x_Period"],
        "seller": row["seller"], "seller_name": row["seller_name"],
        "buyer": row["buyer"], "buyer_name": row["buyer_name"], "currency": row["currency"],
        "status": row["status"], "final": row["status"] == "issued",
        "subtotal": round_line(row["subtotal"], ccy), "tax_rate_pct": row["tax_rate_pct"],
        "tax": round_line(row["tax"], ccy), "total": round_line(row["total"], ccy), "issued_at": row["issued_at"],
    }


def invoices(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any = None) -> list[dict]:
    """Current invoices the user's organisation issues or receives (account managers: to their
    customers; customers: their own), newest period first. Money as Decimal. Keys: invoice_id,
    number, period, seller, seller_name, buyer, buyer_name, currency, status, final, subtotal,
    tax_rate_pct, tax, total, issued_at."""
    p = check_period(con, scope, period) if period is not None else None
    return [_header(r) for r in _invoices(con, scope, period=p)]


def _invoice_id(value: Any) -> int:
    if isinstance(value, bool):
        raise ScopeError("You do not have access to that invoice.")
    if isinstance(value, int) and 0 < value < 2**63:
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 19:
        return int(value.strip())
    raise ScopeError("You do not have access to that invoice.")


def _with_lines(con: duckdb.DuckDBPyConnection, scope: Scope, row: dict) -> dict:
    head = _header(row)
    head["lines"] = [{
        "line_no": ln["line_no"], "kind": ln["kind"], "description": ln["description"],
        "provider": ln["ProviderName"], "service": ln["ServiceName"],
        "amount": round_line(ln["amount"], head["currency"]),
        "detail": json.loads(ln["detail"]) if ln["detail"] else None,
    } for ln in _lines(con, scope, invoice_id=row["invoice_id"]).get(row["invoice_id"], [])]
    return head


def invoice_detail(con: duckdb.DuckDBPyConnection, scope: Scope, invoice_id: Any) -> dict:
    """One current invoice's header (as in `invoices`) plus lines [{line_no, kind, description,
    provider, service, amount, detail}]. ScopeError if the user may not see it."""
    iid = _invoice_id(invoice_id)
    rows = _invoices(con, scope, invoice_id=iid)
    if not rows:
        raise ScopeError("You do not have access to that invoice.")
    return _with_lines(con, scope, rows[0])


def edge_invoice(con: duckdb.DuckDBPyConnection, scope: Scope, on: Edge, p: date) -> dict | None:
    """The current invoice on the edge `on` (seller → buyer) for period p, as `invoice_detail`
    returns it, or None when the period has none. The caller has checked the edge and the
    period (queries.scope.edge, check_period); the invoice scope rule still applies."""
    found = _invoices(con, scope, period=p, buyer=on.buyer)
    row = next((r for r in found if r["seller"] == on.seller), None)
    return _with_lines(con, scope, row) if row is not None else None


def summary_of(on: Edge, p: date, invoice: dict | None) -> dict:
    """customer_summary's shape from the edge's invoice (edge_invoice), or the zero summary."""
    zero = round_line(ZERO, on.buyer_org.currency)
    summary = {"customer": on.buyer, "name": on.buyer_org.name, "period": p,
               "currency": on.buyer_org.currency, "invoice_id": None, "number": None,
               "subtotal": zero, "tax": zero, "total": zero, "status": None, "final": False,
               "lines": []}
    if invoice is None:
        return summary
    summary.update({
        "currency": invoice["currency"], "invoice_id": invoice["invoice_id"], "number": invoice["number"],
        "subtotal": invoice["subtotal"], "tax": invoice["tax"], "total": invoice["total"],
        "status": invoice["status"], "final": invoice["final"],
        "lines": [{"description": ln["description"], "amount": ln["amount"]}
                  for ln in invoice["lines"] if ln["kind"] != "tax"],
    })
    return summary


def customer_summary(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                     period: Any) -> dict:
    """THE portal headline: the current invoice from customer_id's parent to customer_id for the
    period, exactly its rounded lines. {customer, name, currency, subtotal, tax, total, status
    ('draft' | 'issued' | None when there is no invoice), final, lines: [{description, amount}],
    invoice_id, number, period}. Money as Decimal."""
    on = edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    check_whole_invoice(scope, on)
    return summary_of(on, p, edge_invoice(con, scope, on, p))


def credit_notes(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any = None) -> list[dict]:
    """The credit notes the user may see (exactly those against invoices they may see: one scope
    rule, rpt_scoped_invoices), of one period (the credited invoice's) or all, newest period
    first. Each is the shape docs/invoices.md gives the renderers: {credit_note_id, number,
    invoice_id, invoice_number, period, seller, seller_name, buyer, buyer_name, currency, reason,
    amount, tax_rate_pct, tax, total, issued_at}, money as Decimal at the currency's places."""
    p = check_period(con, scope, period) if period is not None else None
    out = []
    for r in _notes(con, scope, period=p):
        ccy = r["currency"]
        out.append({
            "credit_note_id": r["credit_note_id"], "number": r["number"], "invoice_id": r["invoice_id"],
            "invoice_number": r["invoice_number"], "period": r["x_Period"], "seller": r["seller"],
            "seller_name": r["seller_name"], "buyer": r["buyer"], "buyer_name": r["buyer_name"],
            "currency": ccy, "reason": r["reason"], "amount": round_line(r["amount"], ccy),
            "tax_rate_pct": r["tax_rate_pct"], "tax": round_line(r["tax"], ccy),
            "total": round_line(r["total"], ccy), "issued_at": r["issued_at"],
        })
    return out


def invoice_report(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """The period's current invoices the user may see, for `cli.py report invoices --json`:
    [{seller, buyer, period 'YYYY-MM', currency, lines: [{description, amount}], subtotal, tax,
    total, status}], money as strings with the currency's minor-unit places. An invoice with
    credit notes also has `credit_notes: [{number, invoice, amount, tax, total, reason}]` (the
    key is left out when there are none, so the report of a period without credit notes reads
    as it always did)."""
    p = check_period(con, scope, period)
    lines = _lines(con, scope, period=p)
    notes: dict[int, list[dict]] = defaultdict(list)
    for n in sorted(_notes(con, scope, period=p), key=lambda n: n["credit_note_id"]):
        ccy = n["currency"]
        notes[n["invoice_id"]].append({
            "number": n["number"], "invoice": n["invoice_number"], "amount": money_text(n["amount"], ccy),
            "tax": money_text(n["tax"], ccy), "total": money_text(n["total"], ccy), "reason": n["reason"]})
    out = []
    for row in sorted(_invoices(con, scope, period=p), key=lambda r: (r["seller"], r["buyer"])):
        ccy = row["currency"]
        out.append({
            "seller": row["seller"], "buyer": row["buyer"], "period": f"{p:%Y-%m}", "currency": ccy,
            "lines": [{"description": ln["description"], "amount": money_text(ln["amount"], ccy)}
                      for ln in lines.get(row["invoice_id"], []) if ln["kind"] != "tax"],
            "subtotal": money_text(row["subtotal"], ccy), "tax": money_text(row["tax"], ccy),
            "total": money_text(row["total"], ccy), "status": row["status"],
        })
        if notes.get(row["invoice_id"]):
            out[-1]["credit_notes"] = notes[row["invoice_id"]]
    return out
