"""An organisation's margin on the edges it sells on (docs/pricing.md §9): in total per invoice
currency, and broken down by customer, provider or service. Money as strings with the currency's
minor-unit places (the CLI prints them as they are).
"""
from __future__ import annotations

from typing import Any

import duckdb

from pricing.money import round_line
from queries import sql
from queries.reports.common import money_text, records
from queries.scope import Scope, ScopeError, check_period, customer_filter, full_view, seller_view, visible_customers

MARGIN_BY = ("customer", "provider", "service")


def _margin_rows(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, by: str) -> list[dict]:
    p = check_period(con, scope, period)
    out = []
    for r in records(con.execute(sql("rpt_margin"), {
            "org": scope.org_id, "period": p, "customers": customer_filter(scope), "by": by})):
        ccy = r["currency"]
        revenue = round_line(r["revenue"], ccy)
        cost = round_line(r["cost"], ccy)
        if revenue == 0 and cost == 0:
            continue    # nothing to show, e.g. a buying currency it is invoiced exactly in (§9)
        out.append({"k1": r["k1"], "k2": r["k2"], "currency": ccy, "revenue": money_text(revenue, ccy),
                    "cost": money_text(cost, ccy), "margin": money_text(revenue - cost, ccy)})
    return out


def margin_report(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """The user's own organisation's margin (docs/pricing.md §9), one entry per invoice currency:
    [{org, currency, revenue, cost, margin}] as strings. Revenue = Σ subtotals of the invoices it
    issues for the period, less the credit notes against them (before tax); cost = everything it
    is invoiced for the period (the root: the provider cost; a reseller: its seller's invoices,
    fees included, net of the credit notes it received), per currency as §9 says, rounded once.
    An entry with revenue and cost both 0.00 is left out. Admins and leaders only; never another
    organisation's margin."""
    if not full_view(scope):
        raise ScopeError("Margins are shown to administrators and leaders only.")
    return [{"org": scope.org_id, "currency": r["currency"], "revenue": r["revenue"],
             "cost": r["cost"], "margin": r["margin"]} for r in _margin_rows(con, scope, period, "total")]


def margin_breakdown(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *,
                     by: str = "customer") -> list[dict]:
    """The user's organisation's margin on its own selling edges by customer ({customer, name}),
    provider ({provider}) or service ({provider, service}), plus currency, revenue, cost, margin
    as strings. Revenue per provider/service comes from invoice lines (fees: provider '(fees)',
    passed credits: service '(credits)'; credit notes, as negative revenue: per customer, and
    provider '(credit notes)' with the note's number as service); what its own seller invoices it
    beyond its rows' cost (fees, received credit notes, rounding) is one entry with customer or
    provider '(paid to <seller>)' (service '(fees and adjustments)'), left out for account
    managers. Each cost is rounded once per entry, so entries can differ from margin_report's
    single rounding by a cent. Admins and leaders; account managers see their assigned
    customers only."""
    if by not in MARGIN_BY:
        raise ValueError(f"by must be one of {', '.join(MARGIN_BY)}")
    if not seller_view(scope):
        raise ScopeError("Margins are shown to administrators, leaders and account managers only.")
    rows = _margin_rows(con, scope, period, by)
    names = {c["id"]: c["name"] for c in visible_customers(con, scope)} if by == "customer" else {}
    out = []
    for r in rows:
        if by == "customer":
            keys = {"customer": r["k1"], "name": names.get(r["k1"], r["k1"])}
        elif by == "provider":
            keys = {"provider": r["k1"]}
        else:
            keys = {"provider": r["k1"], "service": r["k2"]}
        out.append({**keys, "currency": r["currency"], "revenue": r["revenue"], "cost": r["cost"],
                    "margin": r["margin"]})
    return out
