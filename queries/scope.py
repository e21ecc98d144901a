"""THE scoped access layer: every read of costs, invoices, margins, reconciliation, deliveries
and the audit log goes through a function here that takes the signed-in user's `Scope`.

The scope is applied in SQL (queries/rpt_*.sql, queries/scope_*.sql) as bound parameters, never
by building strings. Every choice a page or the CLI passes in (customer id, sub-account, period,
invoice id) is checked against the scope on the server; a forged value raises `ScopeError`, a
`PermissionError` whose message is a sentence a page can show, and never returns data.

Visibility (DOMAIN §3, docs/access.md): a user sees money on the edges where their organisation
is the seller or the buyer, and usage (quantities, resources, list prices) for its subtree.
- admin, leader: every edge their organisation sells on, and the edge it buys on;
- account_manager: the edges their organisation sells on, to the customers assigned to them
  (`Scope.customers`; on a distributor's edges: the rows of those end customers);
- customer: only the edge their own organisation buys on, optionally only the rows of some cost
  groups (`Tags['cost_group']`).
A reseller never sees its distributor's cost (x_Cost of an edge it buys on, or anything above);
a distributor never sees the prices a reseller charges (edges below its buyers); a customer sees
its own price only, never list prices nor its reseller's cost.

Money comes back as `Decimal` (DuckDB DECIMAL), except in the report functions for the CLI
(`invoice_report`, `margin_report`, `margin_breakdown`, `reconciliation`) which return strings
with the currency's minor-unit places.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any, Iterable

import duckdb
import pandas as pd

from pricing.money import ZERO, ledger, round_line
from queries import sql

ROLES = ("admin", "leader", "account_manager", "customer")
FULL_ROLES = ("admin", "leader")
COST_BY = ("service", "provider", "sub_account", "region", "category", "day")
MARGIN_BY = ("customer", "provider", "service")
COST_GROUP_TAG = "cost_group"          # the Tags key that names a row's cost group
MAX_ROWS = 100_000
_PERIOD = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?\s*$")


class ScopeError(PermissionError):
    """The signed-in user may not see what was asked for. The message is a sentence for them."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: built by `scope_for_user` (or `system_scope`), never from widget values."""

    username: str
    org_id: str
    roles: frozenset[str]
    customers: frozenset[str] | None = None    # account_manager: assigned customers
    cost_groups: frozenset[str] | None = None  # customer users: optional restriction
    visible_orgs: frozenset[str] = frozenset()  # the organisation and its subtree

    def has_role(self, *roles: str) -> bool:
        """True when the user has any of `roles`."""
        return any(r in self.roles for r in roles)


@dataclass(frozen=True)
class _Org:
    id: str
    name: str
    kind: str
    parent: str | None
    currency: str
    is_root: bool


@dataclass(frozen=True)
class _Edge:
    """The edge a customer-level read is about, as the SQL parameters that scope it."""

    seller: str
    buyer: str
    customers: list[str] | None      # end customers the user is limited to (None: all)
    cost_groups: list[str] | None    # cost groups the user is limited to (None: all)
    own: bool                        # the user's organisation is the buyer
    buyer_org: _Org


# --------------------------------------------------------------------------------------------
# Building a scope

def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _subtree(con: duckdb.DuckDBPyConnection, org: str) -> frozenset[str]:
    return frozenset(r[0] for r in con.execute(sql("scope_subtree"), {"org": org}).fetchall())


def scope_for_user(con: duckdb.DuckDBPyConnection, username: str) -> Scope:
    """The scope of a configured user (cfg_users + cfg_organizations). ScopeError if unknown."""
    if not isinstance(username, str) or not username:
        raise ScopeError("You are not signed in as a known user.")
    row = con.execute(sql("scope_user"), {"username": username}).fetchone()
    if row is None:
        raise ScopeError("You are not signed in as a known user.")
    name, org, roles, customers, cost_groups, org_known = row
    if not org_known:
        raise ScopeError("Your organisation is no longer configured; ask your administrator.")
    return Scope(
        username=name,
        org_id=org,
        roles=frozenset(roles or ()),
        customers=_frozen(customers),
        cost_groups=_frozen(cost_groups) if cost_groups else None,   # [] means: not restricted
        visible_orgs=_subtree(con, org),
    )


def root_org(con: duckdb.DuckDBPyConnection) -> str | None:
    """The id of the organisation running Tierline (the root), or None before a configuration."""
    roots = con.execute(sql("scope_root")).fetchall()
    return roots[0][0] if roots else None


def system_scope(con: duckdb.DuckDBPyConnection) -> Scope:
    """An admin of the root organisation (the CLI's reports). Sees what the root may see, no more."""
    root = root_org(con)
    if root is None:
        raise ScopeError("No organisation is configured yet; import a configuration first.")
    return Scope(username="system", org_id=root, roles=frozenset({"admin"}),
                 visible_orgs=_subtree(con, root))


# --------------------------------------------------------------------------------------------
# What a scope may see

def _org(con: duckdb.DuckDBPyConnection, org_id: str) -> _Org | None:
    row = con.execute(sql("scope_org"), {"org": org_id}).fetchone()
    if row is None:
        return None
    oid, name, kind, parent, currency, _depth, is_root = row
    return _Org(oid, name, kind, parent, currency, bool(is_root))


def _me(con: duckdb.DuckDBPyConnection, scope: Scope) -> _Org:
    me = _org(con, scope.org_id)
    if me is None:
        raise ScopeError("Your organisation is no longer configured; ask your administrator.")
    return me


def _full(scope: Scope) -> bool:
    return scope.has_role(*FULL_ROLES)


def _seller_view(scope: Scope) -> bool:
    return _full(scope) or scope.has_role("account_manager")


def _buyer_view(scope: Scope) -> bool:
    return _full(scope) or scope.has_role("customer")


def _customer_filter(scope: Scope) -> list[str] | None:
    """None: every buyer of the user's organisation; else the account manager's customers."""
    if _full(scope):
        return None
    return sorted(scope.customers or ())


def _cost_groups(scope: Scope) -> list[str] | None:
    if _full(scope) or not scope.cost_groups:
        return None
    return sorted(scope.cost_groups)


def _invoice_params(scope: Scope) -> dict[str, Any]:
    return {"org": scope.org_id, "seller_view": _seller_view(scope),
            "customers": _customer_filter(scope),
            "buyer_view": _buyer_view(scope) and _cost_groups(scope) is None}


def visible_customers(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """[{id, name, currency, parent}] of the organisations whose edge to their parent this user
    may open: the direct buyers of the user's organisation (account managers: those holding their
    customers), then the user's own organisation when it has a parent (the price it pays)."""
    rows = con.execute(sql("scope_buyers"), {
        "org": scope.org_id, "seller_view": _seller_view(scope),
        "customers": _customer_filter(scope), "buyer_view": _buyer_view(scope),
    }).fetchall()
    return [{"id": i, "name": n, "currency": c, "parent": p} for i, n, c, p, _kind in rows]


def _edge(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> _Edge:
    """The edge (parent of customer_id → customer_id) if this user may see it; else ScopeError."""
    refused = ScopeError("You do not have access to that customer.")
    if not isinstance(customer_id, str) or not customer_id:
        raise refused
    if customer_id not in {c["id"] for c in visible_customers(con, scope)}:
        raise refused
    buyer = _org(con, customer_id)
    if buyer is None or buyer.parent is None:
        raise refused
    if customer_id == scope.org_id:
        return _Edge(buyer.parent, customer_id, None, _cost_groups(scope), True, buyer)
    return _Edge(scope.org_id, customer_id, _customer_filter(scope), None, False, buyer)


def check_customer(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> None:
    """ScopeError unless this user may see customer_id's money (one of visible_customers)."""
    _edge(con, scope, customer_id)


def _whole_invoice(scope: Scope, edge: _Edge) -> None:
    """Invoice-level reads need the whole edge: not for a cost-group user or a partial assignment."""
    if edge.cost_groups is not None:
        raise ScopeError("Your access covers some cost groups only; the invoice covers the whole "
                         "organisation, so it is not shown to you.")
    if edge.customers is not None and edge.buyer not in edge.customers:
        raise ScopeError("You are assigned only some of this organisation's customers; its invoice "
                         "covers all of them, so it is not shown to you.")


def visible_periods(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[date]:
    """Billing periods with a successful billing run, newest first."""
    return [r[0] for r in con.execute(sql("scope_periods")).fetchall()]


def parse_period(value: Any) -> date:
    """'2026-05', '2026-05-01', a date or a datetime → date(2026, 5, 1). ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, str):
        m = _PERIOD.match(value)
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
            try:
                date(year, month, day)
                return date(year, month, 1)
            except ValueError:
                pass
    raise ValueError("A period looks like 2026-05.")


def check_period(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> date:
    """The period as the first of its month; ValueError if malformed, ScopeError if not billed."""
    p = parse_period(period)
    if p not in visible_periods(con, scope):
        raise ScopeError(f"{p:%Y-%m} has not been billed yet.")
    return p


# --------------------------------------------------------------------------------------------
# Money helpers

def _fmt(amount: Decimal | None, currency: str) -> str:
    """A money string with the currency's minor-unit places: '9500.00', JPY '1235'."""
    value = round_line(amount if amount is not None else ZERO, currency) + ZERO   # no '-0.00'
    return format(value, "f")


def _share(price: Decimal, part: Decimal, whole: Decimal, rows: int, all_rows: int) -> Decimal:
    """price × part / whole (rows / all_rows when whole is 0), to the ledger's 10 places."""
    with localcontext() as ctx:
        ctx.prec = 80
        if whole != ZERO:
            return ledger(price * part / whole)
        if all_rows:
            return ledger(price * Decimal(rows) / Decimal(all_rows))
        return ZERO


def _records(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


# --------------------------------------------------------------------------------------------
# Invoices

def _invoices(con, scope: Scope, **filters) -> list[dict]:
    params = {**_invoice_params(scope), "period": None, "buyer": None, "invoice_id": None, **filters}
    return _records(con.execute(sql("rpt_invoices"), params))


def _lines(con, scope: Scope, **filters) -> dict[int, list[dict]]:
    params = {**_invoice_params(scope), "period": None, "buyer": None, "invoice_id": None, **filters}
    out: dict[int, list[dict]] = defaultdict(list)
    for line in _records(con.execute(sql("rpt_invoice_lines"), params)):
        out[line["invoice_id"]].append(line)
    return out


def _money(amount: Decimal, currency: str) -> Decimal:
    """An invoice amount (already rounded in the store) at its currency's places: 9500.00, JPY 1235."""
    return round_line(amount, currency) + ZERO


def _header(row: dict) -> dict:
    ccy = row["currency"]
    return {
        "invoice_id": row["invoice_id"], "number": row["number"], "period": row["x_Period"],
        "seller": row["seller"], "seller_name": row["seller_name"],
        "buyer": row["buyer"], "buyer_name": row["buyer_name"], "currency": row["currency"],
        "status": row["status"], "final": row["status"] == "issued",
        "subtotal": _money(row["subtotal"], ccy), "tax_rate_pct": row["tax_rate_pct"],
        "tax": _money(row["tax"], ccy), "total": _money(row["total"], ccy), "issued_at": row["issued_at"],
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


def invoice_detail(con: duckdb.DuckDBPyConnection, scope: Scope, invoice_id: Any) -> dict:
    """One current invoice's header (as in `invoices`) plus lines [{line_no, kind, description,
    provider, service, amount, detail}]. ScopeError if the user may not see it."""
    iid = _invoice_id(invoice_id)
    rows = _invoices(con, scope, invoice_id=iid)
    if not rows:
        raise ScopeError("You do not have access to that invoice.")
    head = _header(rows[0])
    head["lines"] = [{
        "line_no": ln["line_no"], "kind": ln["kind"], "description": ln["description"],
        "provider": ln["ProviderName"], "service": ln["ServiceName"],
        "amount": _money(ln["amount"], head["currency"]),
        "detail": json.loads(ln["detail"]) if ln["detail"] else None,
    } for ln in _lines(con, scope, invoice_id=iid).get(iid, [])]
    return head


def customer_summary(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                     period: Any) -> dict:
    """THE portal headline: the current invoice from customer_id's parent to customer_id for the
    period, exactly its rounded lines. {customer, name, currency, subtotal, tax, total, status
    ('draft' | 'issued' | None when there is no invoice), final, lines: [{description, amount}],
    invoice_id, number, period}. Money as Decimal."""
    edge = _edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    _whole_invoice(scope, edge)
    found = _invoices(con, scope, period=p, buyer=edge.buyer)
    head = next((r for r in found if r["seller"] == edge.seller), None)
    zero = _money(ZERO, edge.buyer_org.currency)
    summary = {"customer": edge.buyer, "name": edge.buyer_org.name, "period": p,
               "currency": edge.buyer_org.currency, "invoice_id": None, "number": None,
               "subtotal": zero, "tax": zero, "total": zero, "status": None, "final": False,
               "lines": []}
    if head is None:
        return summary
    lines = _lines(con, scope, invoice_id=head["invoice_id"]).get(head["invoice_id"], [])
    ccy = head["currency"]
    summary.update({
        "currency": ccy, "invoice_id": head["invoice_id"], "number": head["number"],
        "subtotal": _money(head["subtotal"], ccy), "tax": _money(head["tax"], ccy),
        "total": _money(head["total"], ccy), "status": head["status"],
        "final": head["status"] == "issued",
        "lines": [{"description": ln["description"], "amount": _money(ln["amount"], ccy)}
                  for ln in lines if ln["kind"] != "tax"],
    })
    return summary


def invoice_report(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """The period's current invoices the user may see, for `cli.py report invoices --json`:
    [{seller, buyer, period 'YYYY-MM', currency, lines: [{description, amount}], subtotal, tax,
    total, status}], money as strings with the currency's minor-unit places."""
    p = check_period(con, scope, period)
    lines = _lines(con, scope, period=p)
    out = []
    for row in sorted(_invoices(con, scope, period=p), key=lambda r: (r["seller"], r["buyer"])):
        ccy = row["currency"]
        out.append({
            "seller": row["seller"], "buyer": row["buyer"], "period": f"{p:%Y-%m}", "currency": ccy,
            "lines": [{"description": ln["description"], "amount": _fmt(ln["amount"], ccy)}
                      for ln in lines.get(row["invoice_id"], []) if ln["kind"] != "tax"],
            "subtotal": _fmt(row["subtotal"], ccy), "tax": _fmt(row["tax"], ccy),
            "total": _fmt(row["total"], ccy), "status": row["status"],
        })
    return out


# --------------------------------------------------------------------------------------------
# Costs (the portal's breakdown and drill-down)

_DIMENSIONS = {
    "service": ["ProviderName", "ServiceName"],
    "provider": ["ProviderName"],
    "sub_account": ["SubAccountId"],
    "region": ["RegionId"],
    "category": ["ServiceCategory"],
    "day": ["day"],
}


def customer_sub_accounts(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                          period: Any = None) -> list[str]:
    """The sub-accounts on customer_id's edge (in one billed period, or any): widget choices."""
    edge = _edge(con, scope, customer_id)
    p = check_period(con, scope, period) if period is not None else None
    rows = con.execute(sql("rpt_customer_sub_accounts"), {
        "seller": edge.seller, "buyer": edge.buyer, "customers": edge.customers, "period": p,
    }).fetchall()
    return [r[0] for r in rows]


def _check_sub_account(con, scope: Scope, edge: _Edge, customer_id: str, sub_account: Any) -> None:
    if sub_account is None:
        return
    if not isinstance(sub_account, str) or sub_account not in customer_sub_accounts(con, scope, customer_id):
        raise ScopeError("That sub-account is not one of this customer's.")


def _row_params(edge: _Edge, p: date, *, grain: str, limit: int | None, sub_account, service,
                show_list: bool, show_cost: bool) -> dict[str, Any]:
    return {"period": p, "seller": edge.seller, "buyer": edge.buyer, "customers": edge.customers,
            "cost_groups": edge.cost_groups, "sub_account": sub_account, "service": service,
            "grain": grain, "limit": limit, "show_list": show_list, "show_cost": show_cost}


def customer_costs(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                   by: str = "service", sub_account: str | None = None) -> pd.DataFrame:
    """customer_id's month at its own price (the ledger, buyer = customer_id), summed by `by`
    ∈ service (ProviderName, ServiceName) | provider | sub_account (SubAccountId) | region
    (RegionId) | category (ServiceCategory) | day. Columns: the dimension column(s), currency,
    price (Decimal, unrounded), price_chart (float, for charts only). Fees are invoice lines and
    are not in it. 'day', and every breakdown for a cost-group user, is built from the FOCUS rows
    (each row's pro-rata share of its group, docs/pricing.md §8)."""
    if by not in COST_BY:
        raise ValueError(f"by must be one of {', '.join(COST_BY)}")
    edge = _edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    _check_sub_account(con, scope, edge, customer_id, sub_account)
    dims = _DIMENSIONS[by]
    if by != "day" and edge.cost_groups is None:
        records = _records(con.execute(sql("rpt_customer_costs"), {
            "period": p, "seller": edge.seller, "buyer": edge.buyer, "customers": edge.customers,
            "sub_account": sub_account, "by": by}))
        data = [{**{d: r[d] for d in dims}, "currency": r["x_BuyerCurrency"], "price": r["price"]}
                for r in records]
    else:
        params = _row_params(edge, p, grain="day", limit=None, sub_account=sub_account, service=None,
                             show_list=False, show_cost=False)
        sums: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for r in _records(con.execute(sql("rpt_customer_rows"), params)):
            r["day"] = r["x_Day"]
            key = tuple(r[d] for d in dims) + (r["x_BuyerCurrency"],)
            sums[key] += _share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"],
                                r["x_Rows"], r["x_GroupRows"])
        data = [{**dict(zip(dims, key[:-1])), "currency": key[-1], "price": price}
                for key, price in sums.items()]
        if by == "day":
            data.sort(key=lambda d: d["day"])
        else:
            data.sort(key=lambda d: (-d["price"], *(str(d[k]) for k in dims)))
    frame = pd.DataFrame(data, columns=[*dims, "currency", "price"])
    frame["price"] = frame["price"].astype(object)
    frame["price_chart"] = [float(v) for v in frame["price"]]
    return frame


def customer_rows(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                  limit: int = 500, sub_account: str | None = None,
                  service: str | None = None) -> pd.DataFrame:
    """The FOCUS rows behind customer_id's month with each row's price (docs/pricing.md §8):
    ChargePeriodStart, ProviderName, ServiceName, SkuId, ResourceId, ResourceName, RegionId,
    SubAccountId, ChargeCategory, quantity, unit, price (Decimal, the buyer's currency), currency;
    plus ListCost and BillingCurrency for users of a reseller or distributor (list prices are
    usage), and BilledCost, EffectiveCost for the root (its own cost). Never a seller's x_Cost."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_ROWS}")
    if service is not None and not isinstance(service, str):
        raise ValueError("service must be a service name")
    edge = _edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    _check_sub_account(con, scope, edge, customer_id, sub_account)
    me = _me(con, scope)
    show_list = me.kind != "customer" and _seller_view(scope)
    show_cost = me.is_root and not edge.own
    params = _row_params(edge, p, grain="row", limit=limit, sub_account=sub_account, service=service,
                         show_list=show_list, show_cost=show_cost)
    cols = ["ChargePeriodStart", "ProviderName", "ServiceName", "SkuId", "ResourceId", "ResourceName",
            "RegionId", "SubAccountId", "ChargeCategory", "quantity", "unit", "price", "currency"]
    if show_list:
        cols += ["ListCost", "BillingCurrency"]
    if show_cost:
        cols += ["BilledCost", "EffectiveCost"]
    data = []
    for r in _records(con.execute(sql("rpt_customer_rows"), params)):
        r["quantity"], r["unit"] = r["ConsumedQuantity"], r["ConsumedUnit"]
        r["currency"] = r["x_BuyerCurrency"]
        r["price"] = _share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"],
                            r["x_Rows"], r["x_GroupRows"])
        data.append({c: r[c] for c in cols})
    frame = pd.DataFrame(data, columns=cols)
    for c in ("price", "quantity", "ListCost", "BilledCost", "EffectiveCost"):
        if c in frame:
            frame[c] = frame[c].astype(object)
    return frame


# --------------------------------------------------------------------------------------------
# Margins

def _margin_rows(con, scope: Scope, period: Any, by: str) -> list[dict]:
    p = check_period(con, scope, period)
    out = []
    for r in _records(con.execute(sql("rpt_margin"), {
            "org": scope.org_id, "period": p, "customers": _customer_filter(scope), "by": by})):
        ccy = r["currency"]
        revenue = round_line(r["revenue"], ccy)
        cost = round_line(r["cost"], ccy)
        out.append({"k1": r["k1"], "k2": r["k2"], "currency": ccy, "revenue": _fmt(revenue, ccy),
                    "cost": _fmt(cost, ccy), "margin": _fmt(revenue - cost, ccy)})
    return out


def margin_report(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """The user's own organisation's margin (docs/pricing.md §9), one entry per invoice currency:
    [{org, currency, revenue, cost, margin}] as strings. Revenue = Σ subtotals of the invoices it
    issues; cost = its cost for the same rows (x_Cost × x_FxRate), rounded once. Admins and
    leaders only; never another organisation's margin."""
    if not _full(scope):
        raise ScopeError("Margins are shown to administrators and leaders only.")
    return [{"org": scope.org_id, "currency": r["currency"], "revenue": r["revenue"],
             "cost": r["cost"], "margin": r["margin"]} for r in _margin_rows(con, scope, period, "total")]


def margin_breakdown(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *,
                     by: str = "customer") -> list[dict]:
    """The user's organisation's margin on its own selling edges by customer ({customer, name}),
    provider ({provider}) or service ({provider, service}), plus currency, revenue, cost, margin
    as strings. Revenue per provider/service comes from invoice lines (fees: provider '(fees)',
    passed credits: service '(credits)'); each cost is rounded once per entry, so entries can
    differ from margin_report's single rounding by a cent. Admins and leaders; account managers
    see their assigned customers only."""
    if by not in MARGIN_BY:
        raise ValueError(f"by must be one of {', '.join(MARGIN_BY)}")
    if not _seller_view(scope):
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


# --------------------------------------------------------------------------------------------
# Root-only: reconciliation, unassigned cost, deliveries

def _require_root(con, scope: Scope, roles: tuple[str, ...], what: str) -> None:
    if not scope.has_role(*roles) or not _me(con, scope).is_root:
        raise ScopeError(f"{what} is shown to {' and '.join(r + 's' for r in roles)} of "
                         f"the organisation running Tierline only.")


def reconciliation(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """Each provider invoice of the period against the billing run (root admins and leaders):
    [{provider, invoice_id, billing_account_id, currency, provider_total, assigned, unassigned,
    retained_credits, provider_tax, difference}] as strings; difference must be 0.00.
    One entry per provider invoice (billing account and InvoiceId; per billing account where
    the provider sends no InvoiceId)."""
    _require_root(con, scope, FULL_ROLES, "Reconciliation")
    p = check_period(con, scope, period)
    out = []
    for r in _records(con.execute(sql("rpt_reconciliation"), {"period": p})):
        ccy = r["BillingCurrency"]
        out.append({
            "provider": r["ProviderName"], "invoice_id": r["InvoiceId"],
            "billing_account_id": r["BillingAccountId"], "currency": ccy,
            **{k: _fmt(r[k], ccy) for k in ("provider_total", "assigned", "unassigned",
                                            "retained_credits", "provider_tax", "difference")},
        })
    return out


def unassigned(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> pd.DataFrame:
    """Cost nobody is billed for (root admins and leaders): ProviderName, BillingAccountId,
    SubAccountId, BillingCurrency, rows, BilledCost (Decimal), largest first."""
    _require_root(con, scope, FULL_ROLES, "Unassigned cost")
    p = check_period(con, scope, period)
    cols = ["ProviderName", "BillingAccountId", "SubAccountId", "BillingCurrency", "rows", "BilledCost"]
    data = [{**r, "rows": r["x_RowCount"]}
            for r in _records(con.execute(sql("rpt_unassigned"), {"period": p}))]
    frame = pd.DataFrame([{c: r[c] for c in cols} for r in data], columns=cols)
    frame["BilledCost"] = frame["BilledCost"].astype(object)     # Decimal, not float
    return frame


def deliveries(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The ingested FOCUS files, newest first (root admins only)."""
    _require_root(con, scope, ("admin",), "The delivery list")
    return con.execute(sql("rpt_deliveries")).df()


# --------------------------------------------------------------------------------------------
# Audit log

# Top-level keys of a whole configuration document: an entry holding one spans every tenant.
_DOCUMENT_KEYS = frozenset({"root", "organizations", "account_mappings", "fx_rates", "users"})
# A bcrypt hash anywhere in a text (the configuration's password_hash values).
_BCRYPT_ANYWHERE = re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}")
HASH_REMOVED = "(password hash removed)"


def audit_entries(con: duckdb.DuckDBPyConnection, scope: Scope, *, limit: int = 1000) -> pd.DataFrame:
    """Audit entries of the users and organisations of the admin's subtree, newest first.
    Entries of other organisations than the admin's own keep who/when/what but not
    before/after/detail (they may show prices the admin may not see), except sign-in events.
    An entry's before/after/detail are also withheld when their content reaches beyond what the
    reader may see (`_audit_readable`): a whole configuration document (root admins only), or an
    organisation or plan outside the reader's subtree. Password hashes are never returned."""
    if not scope.has_role("admin"):
        raise ScopeError("The audit log is shown to administrators only.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_ROWS}")
    me = _me(con, scope)
    orgs = _subtree(con, scope.org_id)
    frame = con.execute(sql("rpt_audit"), {"org": scope.org_id, "orgs": sorted(orgs),
                                           "is_root": me.is_root, "limit": limit}).df()
    owners = dict(con.execute(sql("scope_audit_ids")).fetchall())
    for i in frame.index:
        texts = [frame.at[i, c] for c in ("before", "after")]
        if not any(isinstance(t, str) for t in texts):
            continue
        values = [_loads(t) for t in texts]
        if not all(_audit_readable(v, is_root=me.is_root, visible=orgs, owners=owners) for v in values):
            frame.at[i, "before"] = frame.at[i, "after"] = frame.at[i, "detail"] = None
            continue
        for column, text, value in zip(("before", "after"), texts, values):
            clean = _redact(value)
            if clean != value:
                frame.at[i, column] = json.dumps(clean, ensure_ascii=False)
        if isinstance(frame.at[i, "detail"], str):
            frame.at[i, "detail"] = _BCRYPT_ANYWHERE.sub(HASH_REMOVED, frame.at[i, "detail"])
    return frame


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return None                      # NULL, as None, NaN or pd.NA depending on pandas
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _strings(value: Any) -> Iterable[str]:
    """Every text in a JSON value: mapping keys and values, list items, scalars."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _audit_readable(value: Any, *, is_root: bool, visible: frozenset[str],
                    owners: dict[str, str]) -> bool:
    """May a reader see this before/after value? A whole configuration document spans every
    tenant (and their users): the root's admins only. Otherwise every organisation or plan it
    names (`owners`: organisation id → itself, plan id → its owner) must belong to the reader's
    subtree (`visible`), so an entry never shows another tenant's terms, whichever organisation
    it was recorded under."""
    if isinstance(value, dict) and _DOCUMENT_KEYS.intersection(value) and not is_root:
        return False
    return all(owners[s] in visible for s in _strings(value) if s in owners)


def _redact(value: Any) -> Any:
    """The value without password hashes: `password_hash` keys dropped, hash-like texts replaced.
    The audit log says that a password changed, never what it is."""
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items() if k != "password_hash"}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    if isinstance(value, str):
        return _BCRYPT_ANYWHERE.sub(HASH_REMOVED, value)
    return value


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return json.dumps(_redact(value))
        clean = _redact(parsed)
        return value if clean == parsed else json.dumps(clean, ensure_ascii=False)
    return json.dumps(_redact(value), default=str, sort_keys=True)


def record_audit(con: duckdb.DuckDBPyConnection, *, username: str | None, org: str | None,
                 action: str, target: str | None = None, before: Any = None, after: Any = None,
                 detail: str | None = None) -> None:
    """THE writer of audit_log. before/after: JSON text, or anything json.dumps takes (Decimal
    and dates become strings). Password hashes never enter the log: `password_hash` keys are
    dropped and hash-like texts replaced (say "password changed" instead). Record an entry under
    the organisation whose admins may read its content (docs/access.md). Joins the caller's
    transaction when there is one."""
    if not isinstance(action, str) or not action:
        raise ValueError("an audit entry needs an action")
    con.execute(sql("scope_audit_insert"), {
        "username": username, "org": org, "action": action, "target": target,
        "before": _json_text(before), "after": _json_text(after),
        "detail": _BCRYPT_ANYWHERE.sub(HASH_REMOVED, detail) if isinstance(detail, str) else detail,
    })
