"""The quarterly business review (issue #13, docs/qbr.md): one customer and one quarter, at the
customer's own price, from the same reads as the portal and the invoices.

- who: account managers for their assigned customers, administrators and practice leaders for
  every customer their organisation sells to (`check_review`). Never a customer user, never the
  user's own organisation (that is its seller's review), never a reseller an account manager is
  assigned only some customers of (its invoice covers customers they may not see);
- spend by month and provider: each month's invoice (`customer_summary`, the portal's
  headline, and `invoice_detail` for its lines), so a month total is the invoice subtotal and
  the quarter total their sum, to the cent; fees and other lines without a provider are their
  own rows;
- biggest movers by service and by sub-account against the previous quarter, and top cost
  drivers: the portal's breakdown (`customer_costs`) summed over the quarter's months and
  rounded once per key;
- notable days: the rule of pricing/anomalies.py on the daily spend of the portal's drill-down
  (rpt_customer_rows at day grain, each row's share of its group), commitment purchases left
  out; the month before the quarter, when billed, is the first days' history;
- next steps: the list saved for (seller, customer, quarter) (migration 020; written by
  data/qbr.py, never here);
- budget against actual and commitment coverage: shown when the modules of issues #12 and #15
  provide them (the hooks below), left out otherwise.

Money comes back as `Decimal` at the currency's minor unit.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from pricing import anomalies
from pricing.money import ZERO, round_line
from queries import sql
from queries.reports.common import records, row_share
from queries.reports.costs import _row_params, customer_costs
from queries.reports.invoices import customer_summary, invoice_detail
from queries.scope import (
    Edge,
    Scope,
    ScopeError,
    check_whole_invoice,
    edge,
    full_view,
    own_org,
    visible_customers,
    visible_periods,
)

REVIEW_ROLES = ("account_manager", "admin", "leader")
QUARTER_EXAMPLE = "2026Q3"
PURCHASE = "Purchase"          # FOCUS ChargeCategory of commitment purchases: not a notable day
TOP = 5                        # movers and drivers per table
SEP = " \u00b7 "               # 'AWS · AmazonEC2'
_QUARTER = re.compile(r"^([1-9]\d{3})Q([1-4])$")
_OTHER_LINES = {"fee": "Fees", "credit": "Credits", "correction": "Corrections", "service": "Other services"}
NOT_REVIEWER = ("Quarterly business reviews are prepared by account managers, administrators "
                "and practice leaders only.")
NOT_YOURS = "You do not have access to that customer."


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: Quarter(2026, 3) is July to September 2026, written '2026Q3'."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def title(self) -> str:
        return f"Q{self.number} {self.year}"

    @property
    def months(self) -> tuple[date, date, date]:
        first = 3 * (self.number - 1) + 1
        return tuple(date(self.year, first + i, 1) for i in range(3))  # type: ignore[return-value]

    @property
    def start(self) -> date:
        return self.months[0]

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @classmethod
    def of(cls, period: date) -> Quarter:
        return cls(period.year, (period.month - 1) // 3 + 1)


def parse_quarter(value: Any) -> Quarter:
    """'2026Q3' (exactly: a four-digit year, Q, a digit from 1 to 4) or a Quarter → Quarter;
    ValueError (one sentence, which does not repeat the value) for anything else."""
    if isinstance(value, Quarter):
        return value
    if isinstance(value, str):
        m = _QUARTER.match(value)
        if m:
            return Quarter(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"A quarter is written like {QUARTER_EXAMPLE}: a four-digit year, Q and a "
                     f"digit from 1 to 4.")


# --------------------------------------------------------------------------------------------
# Who may review whom, and which quarters

def may_review(scope: Scope) -> bool:
    return scope.has_role(*REVIEW_ROLES)


def review_customers(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """[{id, name, currency, parent}] of the customers this user may prepare a review for: the
    organisation's buyers (account managers: those assigned to them by name), never its own
    organisation, never a reseller an account manager holds only some customers of."""
    if not may_review(scope):
        return []
    mine = scope.customers or frozenset()
    return [c for c in visible_customers(con, scope)
            if c["id"] != scope.org_id and (full_view(scope) or c["id"] in mine)]


def check_review(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> Edge:
    """The edge (the user's organisation → customer_id) if this user may review that customer;
    ScopeError (one sentence, never echoing the value) otherwise."""
    if not may_review(scope):
        raise ScopeError(NOT_REVIEWER)
    on = edge(con, scope, customer_id)
    if on.own:
        raise ScopeError(NOT_YOURS)
    check_whole_invoice(scope, on)
    return on


def review_quarters(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[Quarter]:
    """The quarters holding at least one billed month, newest first."""
    return sorted({Quarter.of(p) for p in visible_periods(con, scope)}, reverse=True)


def check_quarter(con: duckdb.DuckDBPyConnection, scope: Scope, value: Any) -> Quarter:
    """The quarter if it is well written and holds a billed month; ValueError / ScopeError."""
    q = parse_quarter(value)
    if q not in review_quarters(con, scope):
        raise ScopeError(f"{q.label} has no billed month yet.")
    return q


# --------------------------------------------------------------------------------------------
# The sections

def _month(con: duckdb.DuckDBPyConnection, scope: Scope, customer: str, p: date,
           billed: set[date]) -> dict:
    """One month: the invoice's subtotal and its lines summed by provider (lines without one:
    by kind). A month with no billing run yet is marked so and counts zero."""
    if p not in billed:
        return {"period": p, "billed": False, "status": None, "final": False, "number": None,
                "currency": None, "subtotal": None, "providers": {}}
    head = customer_summary(con, scope, customer, p)
    ccy = head["currency"]
    providers: dict[str, Decimal] = defaultdict(lambda: round_line(ZERO, ccy))
    if head["invoice_id"] is not None:
        for ln in invoice_detail(con, scope, head["invoice_id"])["lines"]:
            if ln["kind"] == "tax":
                continue
            providers[ln["provider"] or _OTHER_LINES.get(ln["kind"], "Other")] += ln["amount"]
    return {"period": p, "billed": True, "status": head["status"], "final": head["final"],
            "number": head["number"], "currency": ccy, "subtotal": head["subtotal"],
            "providers": dict(providers)}


def _breakdown(con: duckdb.DuckDBPyConnection, scope: Scope, customer: str, months: list[date],
               by: str, currency: str) -> dict[str, Decimal]:
    """The portal's breakdown `by` summed over `months`, rounded once per key."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in months:
        frame = customer_costs(con, scope, customer, p, by=by)
        for row in frame.to_dict("records"):
            if by == "service":
                key = f"{row['ProviderName']}{SEP}{row['ServiceName']}"
            else:
                key = row["SubAccountId"] or "(no sub-account)"
            sums[key] += row["price"]
    return {k: round_line(v, currency) for k, v in sums.items()}


def _daily(con: duckdb.DuckDBPyConnection, on: Edge, months: list[date]
           ) -> tuple[dict[date, Decimal], dict[date, dict[str, Decimal]]]:
    """Spend per day and per day and service on the edge, commitment purchases left out: the
    portal's daily drill-down (each FOCUS row's share of its pricing group, docs/pricing.md §8)."""
    daily: dict[date, Decimal] = defaultdict(lambda: ZERO)
    by_service: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for p in months:
        params = _row_params(on, p, grain="day", limit=None, sub_account=None, service=None,
                             show_list=False, show_cost=False)
        for r in records(con.execute(sql("rpt_customer_rows"), params)):
            if r["ChargeCategory"] == PURCHASE:
                continue
            share = row_share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"], r["x_Rows"],
                              r["x_GroupRows"])
            daily[r["x_Day"]] += share
            by_service[r["x_Day"]][f"{r['ProviderName']}{SEP}{r['ServiceName']}"] += share
    return dict(daily), {d: dict(s) for d, s in by_service.items()}


def _notable(con: duckdb.DuckDBPyConnection, on: Edge, q: Quarter, billed: set[date],
             currency: str) -> tuple[list[dict], list[dict]]:
    """(notable days, the quarter's daily spend [{day, spend, notable}]) at the currency's places."""
    months = [p for p in q.months if p in billed]
    before = (q.start - timedelta(days=1)).replace(day=1)
    history = [before] if before in billed else []
    daily, by_service = _daily(con, on, history + months)
    found = anomalies.notable_days(daily, by_service, start=(history + months)[0],
                                   judge_from=q.start)
    money = lambda v: round_line(v, currency)  # noqa: E731  (display: the currency's places)
    notable = [{"day": n.day, "spend": money(n.spend), "median": money(n.median),
                "mad": money(n.mad), "threshold": money(n.threshold),
                "services": [{"service": s.service, "spend": money(s.spend),
                              "median": money(s.median), "excess": money(s.excess)}
                             for s in n.services]}
               for n in found]
    days = {n.day for n in found}
    series = [{"day": d, "spend": money(v), "notable": d in days}
              for d, v in sorted(daily.items()) if d >= q.start]
    return notable, series


def _comparison_note(q: Quarter, now: int, before: int) -> str | None:
    if before == 0 or now == before:
        return None
    return (f"{q.label} has {now} billed month{'s' if now != 1 else ''} and {q.previous.label} "
            f"{before}: the comparison is not like for like.")


def next_steps(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
               quarter: Any) -> dict:
    """The next steps saved for the review: {steps: [str], updated_by, updated_at} (an empty
    list, None, None when nothing was saved)."""
    on = check_review(con, scope, customer_id)
    q = parse_quarter(quarter)
    row = con.execute(sql("rpt_qbr_notes"), {"seller": on.seller, "customer": on.buyer,
                                             "quarter": q.label}).fetchone()
    if row is None:
        return {"steps": [], "updated_by": None, "updated_at": None}
    return {"steps": list(row[0]), "updated_by": row[1], "updated_at": row[2]}


# HOOK(budgets, issue #12): "Budget against actual" appears when the portal's budgets provide
# queries.reports.budgets.budget_status(con, scope, customer_id, period) and the customer has a
# budget: one row per budget and billed month of the quarter, money as text in its currency.
def _budget(con: duckdb.DuckDBPyConnection, scope: Scope, customer: str,
            months: list[date]) -> list[dict] | None:
    try:
        from queries.reports.budgets import budget_status
    except ImportError:
        return None
    rows = []
    for p in months:
        for b in budget_status(con, scope, customer, p):
            ccy = b["currency"]
            rows.append({"period": p, "Budget": b["label"], "Amount": _text(b["amount"], ccy),
                         "Actual": _text(b["actual"], ccy), "Used %": _pct_text(b.get("pct")),
                         "Forecast": _text(b.get("forecast"), ccy)})
    return rows or None


# HOOK(commitments, issue #15): "Commitment coverage" appears when the commitments work provides
# queries.reports.commitments.coverage(con, scope, period) with rows for this customer: coverage
# and utilisation per provider, and the savings passed on (in the provider's billing currency).
def _commitments(con: duckdb.DuckDBPyConnection, scope: Scope, customer: str,
                 months: list[date]) -> list[dict] | None:
    try:
        from queries.reports.commitments import coverage
    except ImportError:
        return None
    rows, shown = [], set()
    for p in months:
        for c in coverage(con, scope, p):
            if c.get("customer") != customer:
                continue
            # the saving passed on is the customer's per currency, repeated on each provider's
            # row: printed once, so that nobody adds it up twice
            once = (p, c["currency"]) not in shown
            shown.add((p, c["currency"]))
            rows.append({"period": p, "Provider": c["provider"], "Currency": c["currency"],
                         "Coverage %": _pct_text(c.get("coverage_pct")),
                         "Utilisation %": _pct_text(c.get("utilization_pct")),
                         "Savings passed on": (c.get("saving_passed") or "") if once else ""})
    return rows or None


def _text(amount: Decimal | None, currency: str) -> str:
    return "" if amount is None else format(round_line(Decimal(amount), currency), ",f")


def _pct_text(value: Any) -> str:
    return "" if value is None else f"{value} %"


# --------------------------------------------------------------------------------------------
# The review

def qbr_report(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
               quarter: Any) -> dict:
    """One customer's quarterly business review. Keys:
    customer, name, seller, seller_name, currency, quarter ('2026Q3'), title ('Q3 2026'),
    previous_quarter, final (every month invoiced and issued), months [{period, billed, status,
    final, number, currency, subtotal, providers {provider: amount}}], providers [names: the
    providers largest first, then Fees, Credits, Corrections],
    provider_totals {provider: amount}, total, previous_total (None: nothing billed then),
    months_billed, previous_months_billed, comparison_note (a sentence when the two quarters
    have a different number of billed months: not a like-for-like comparison; else None),
    change, movers_service / movers_sub_account [{key, previous, current, change, change_pct}],
    drivers [{key, amount, share_pct}], notable [{day, spend, median, mad, threshold,
    services [{service, spend, median, excess}]}], daily [{day, spend, notable}] (the quarter's
    days with charges, commitment purchases left out), rule (the notable-day rule, a sentence),
    next_steps {steps, updated_by, updated_at}, budget / commitments (None when absent).
    ScopeError when the user may not review that customer or the quarter has no billed month."""
    on = check_review(con, scope, customer_id)
    q = check_quarter(con, scope, quarter)
    billed = set(visible_periods(con, scope))
    months = [_month(con, scope, on.buyer, p, billed) for p in q.months]
    currencies = {m["currency"] for m in months if m["currency"]}
    if len(currencies) > 1:
        raise ValueError(f"{on.buyer_org.name} was invoiced in {' and '.join(sorted(currencies))} "
                         f"in {q.label}; a review covers one currency.")
    ccy = currencies.pop() if currencies else on.buyer_org.currency
    zero = round_line(ZERO, ccy)
    provider_totals: dict[str, Decimal] = defaultdict(lambda: zero)
    for m in months:
        for name, amount in m["providers"].items():
            provider_totals[name] += amount
    total = sum((m["subtotal"] for m in months if m["billed"]), zero)
    this = [p for p in q.months if p in billed]
    before = [p for p in q.previous.months if p in billed]
    previous_total = None
    if before:
        previous_total = sum((customer_summary(con, scope, on.buyer, p)["subtotal"] for p in before),
                             zero)
    services = _breakdown(con, scope, on.buyer, this, "service", ccy)
    services_before = _breakdown(con, scope, on.buyer, before, "service", ccy)
    accounts = _breakdown(con, scope, on.buyer, this, "sub_account", ccy)
    accounts_before = _breakdown(con, scope, on.buyer, before, "sub_account", ccy)
    notable, daily = _notable(con, on, q, billed, ccy)
    return {
        "customer": on.buyer, "name": on.buyer_org.name, "seller": on.seller,
        "seller_name": own_org(con, scope).name, "currency": ccy,
        "quarter": q.label, "title": q.title, "previous_quarter": q.previous.label,
        "final": all(m["final"] for m in months),
        "months": months,
        "providers": sorted(provider_totals, key=lambda k: (k in _OTHER_LINES.values(),
                                                            -provider_totals[k], k)),
        "provider_totals": dict(provider_totals),
        "total": total, "previous_total": previous_total,
        "months_billed": len(this), "previous_months_billed": len(before),
        "comparison_note": _comparison_note(q, len(this), len(before)),
        "change": None if previous_total is None else total - previous_total,
        "movers_service": [asdict(m) for m in anomalies.movers(services, services_before, top=TOP)],
        "movers_sub_account": [asdict(m) for m in anomalies.movers(accounts, accounts_before, top=TOP)],
        "drivers": [asdict(d) for d in anomalies.top_drivers(services, top=TOP)],
        "notable": notable, "daily": daily,
        "rule": NOTABLE_RULE,
        "next_steps": next_steps(con, scope, on.buyer, q),
        "budget": _budget(con, scope, on.buyer, this),
        "commitments": _commitments(con, scope, on.buyer, this),
    }


NOTABLE_RULE = ("A notable day is one whose spend is above the median of the 14 days before it "
                "by more than three median absolute deviations of those days; commitment "
                "purchases are left out.")
