"""An organisation's margin on the edges it sells on (docs/pricing.md §9): in total per invoice
currency, and broken down by customer (its direct buyers: a distributor's resellers), end
customer, provider, service, source of the margin, month (the trend) or unassigned cost (the
root's revenue leakage). Money as strings with the currency's minor-unit places (the CLI prints
them as they are); margin % as a string with two places.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import duckdb

from pricing.money import HUNDRED, ZERO, round_line
from queries import sql
from queries.reports.common import money_text, records
from queries.scope import (
    Scope,
    ScopeError,
    check_period,
    customer_filter,
    full_view,
    own_org,
    seller_view,
    visible_periods,
)

# "customer": the direct buyers (a distributor's resellers); "end_customer": the customers of the
# rows; "source": where the margin comes from (SOURCES); "month": the trend of the 12 months up to
# the period; "leakage": provider cost nobody is billed for (the root's; empty for anyone else).
MARGIN_BY = ("customer", "end_customer", "provider", "service", "source", "month", "leakage")
SOURCES = {
    "usage": "Usage margin",
    "commitments": "Commitment margin (savings retained)",
    "retained_credits": "Retained credits",
    "fees": "Fees",
    "passed_credits": "Credits passed on",
    "adjustments": "Adjustments passed on",
    "credit_notes": "Credit notes",
    "rounding": "Invoice rounding and corrections",
}
TREND_MONTHS = 12
PCT_PLACES = Decimal("0.01")


def _pct(margin: Decimal, revenue: Decimal) -> str | None:
    """margin / revenue as a percentage with two places (half away from zero); None without
    revenue (a margin % of nothing is not a number)."""
    if revenue == ZERO:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        pct = (margin * HUNDRED / revenue).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)
        return format(pct if pct != ZERO else ZERO.quantize(PCT_PLACES), "f")     # never '-0.00'


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
                    "cost": money_text(cost, ccy), "margin": money_text(revenue - cost, ccy),
                    "margin_pct": _pct(revenue - cost, revenue)})
    return out


def margin_report(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *,
                  with_pct: bool = False) -> list[dict]:
    """The user's own organisation's margin (docs/pricing.md §9), one entry per invoice currency:
    [{org, currency, revenue, cost, margin}] as strings (`with_pct`: also margin_pct, margin /
    revenue × 100 with two places, None without revenue). Revenue = Σ subtotals of the invoices it
    issues for the period, less the credit notes against them (before tax); cost = everything it
    is invoiced for the period (the root: the provider cost; a reseller: its seller's invoices,
    fees included, net of the credit notes it received), per currency as §9 says, rounded once.
    An entry with revenue and cost both 0.00 is left out. Admins and leaders only; never another
    organisation's margin."""
    if not full_view(scope):
        raise ScopeError("Margins are shown to administrators and leaders only.")
    keys = ("currency", "revenue", "cost", "margin", "margin_pct") if with_pct \
        else ("currency", "revenue", "cost", "margin")
    return [{"org": scope.org_id, **{k: r[k] for k in keys}}
            for r in _margin_rows(con, scope, period, "total")]


def margin_breakdown(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *,
                     by: str = "customer", with_pct: bool = False) -> list[dict]:
    """The user's organisation's margin on its own selling edges, broken down `by` (MARGIN_BY):
    - customer ({customer, name}): its direct buyers (a distributor's resellers);
    - end_customer ({customer, name}): the customers of the rows; a reseller buyer's invoices
      are split over its rows' customers at this organisation's price, the rest of them (fees,
      rounding, corrections, credit notes) on '(<buyer>: fees and adjustments)';
    - provider ({provider}) or service ({provider, service}): revenue from invoice lines (fees:
      provider '(fees)', passed credits: service '(credits)'; credit notes, as negative revenue:
      provider '(credit notes)' with the note's number as service);
    - source ({source, label}): usage, commitments (the savings retained), retained credits,
      fees, credits and adjustments passed on, credit notes, invoice rounding (SOURCES);
    - month ({month}): the margin report of each billed month among the TREND_MONTHS up to
      `period`, oldest first, one entry per month and currency;
    - leakage ({provider}): provider cost nobody is billed for (unassigned rows), revenue 0 and
      margin −cost, per provider and currency: the root's admins and leaders only, empty for any
      other organisation (it buys nothing unassigned).
    Each entry also has currency, revenue, cost, margin as strings. What its own seller invoices
    it beyond its rows' cost (fees, received credit notes, rounding) is one entry with customer,
    provider or source '(paid to <seller>)' (service '(fees and adjustments)'), left out for
    account managers. Each cost is rounded once per entry, so entries can differ from
    margin_report's single rounding by a cent. `with_pct`: every entry also has margin_pct, and
    customer entries floor_pct (the organisation's `margin_floor_pct`, None if unset) and
    below_floor (margin % under the floor). Admins and leaders; account managers see their
    assigned customers only."""
    if by not in MARGIN_BY:
        raise ValueError(f"by must be one of {', '.join(MARGIN_BY)}")
    if not seller_view(scope):
        raise ScopeError("Margins are shown to administrators, leaders and account managers only.")
    if by == "month":
        return _trend(con, scope, period, with_pct)
    if by == "leakage":
        return _leakage(con, scope, period, with_pct)
    rows = _margin_rows(con, scope, period, by)
    orgs = _orgs(con, scope) if by in ("customer", "end_customer") else {}
    floor = orgs.get(scope.org_id, {}).get("margin_floor_pct")
    out = []
    for r in rows:
        if by in ("customer", "end_customer"):
            keys = {"customer": r["k1"], "name": orgs.get(r["k1"], {}).get("name", r["k1"])}
        elif by == "provider":
            keys = {"provider": r["k1"]}
        elif by == "source":
            keys = {"source": r["k1"], "label": SOURCES.get(r["k1"], r["k1"])}
        else:
            keys = {"provider": r["k1"], "service": r["k2"]}
        entry = {**keys, "currency": r["currency"], "revenue": r["revenue"], "cost": r["cost"],
                 "margin": r["margin"]}
        if with_pct:
            entry["margin_pct"] = r["margin_pct"]
            if by in ("customer", "end_customer"):
                is_customer = r["k1"] in orgs and r["k1"] != scope.org_id
                entry["floor_pct"] = _pct_text(floor) if is_customer else None
                entry["below_floor"] = bool(is_customer and floor is not None and r["margin_pct"] is not None
                                            and Decimal(r["margin_pct"]) < floor)
        out.append(entry)
    if by == "source":       # in the order SOURCES reads, what is paid upward last
        order = list(SOURCES)
        out.sort(key=lambda e: (order.index(e["source"]) if e["source"] in order else len(order),
                                e["currency"]))
    return out


def _pct_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(PCT_PLACES, rounding=ROUND_HALF_UP), "f")


def _orgs(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict]:
    """{id: {name, margin_floor_pct}} of the user's organisation and its subtree (names of the
    customers it may see; its own floor)."""
    ids = sorted(scope.visible_orgs | {scope.org_id})
    return {r["id"]: r for r in records(con.execute(sql("rpt_margin_orgs"), {"ids": ids}))}


def _months_back(period: date, months: int) -> date:
    n = period.year * 12 + period.month - 1 - months
    return date(n // 12, n % 12 + 1, 1)


def _trend(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, with_pct: bool) -> list[dict]:
    """by='month': each billed month of the TREND_MONTHS up to `period`, oldest first."""
    last = check_period(con, scope, period)
    first = _months_back(last, TREND_MONTHS - 1)
    out = []
    for month in sorted(p for p in visible_periods(con, scope) if first <= p <= last):
        for r in _margin_rows(con, scope, month, "total"):
            entry = {"month": f"{month:%Y-%m}", "currency": r["currency"], "revenue": r["revenue"],
                     "cost": r["cost"], "margin": r["margin"]}
            if with_pct:
                entry["margin_pct"] = r["margin_pct"]
            out.append(entry)
    return out


def _leakage(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, with_pct: bool) -> list[dict]:
    """by='leakage': the period's unassigned provider cost per provider and currency (the root's
    admins and leaders; nothing for another organisation, which buys nothing unassigned)."""
    p = check_period(con, scope, period)
    if not own_org(con, scope).is_root:
        return []
    if not full_view(scope):
        raise ScopeError("Unassigned cost is shown to administrators and leaders of the "
                         "organisation running Tierline only.")
    sums: dict[tuple[str, str], Decimal] = {}
    for r in records(con.execute(sql("rpt_unassigned"), {"period": p})):
        key = (r["ProviderName"], r["BillingCurrency"])
        sums[key] = sums.get(key, ZERO) + r["BilledCost"]
    out = []
    for (provider, ccy), cost in sorted(sums.items()):
        rounded = round_line(cost, ccy)
        entry = {"provider": provider, "currency": ccy, "revenue": money_text(ZERO, ccy),
                 "cost": money_text(rounded, ccy), "margin": money_text(-rounded, ccy)}
        if with_pct:
            entry["margin_pct"] = None
        out.append(entry)
    return out
