"""Commitments and credits managed as margin (issue #15; docs/pricing.md §10): the commitment
inventory, the single-customer rule, what each commitment policy did in money, provider credits
by kind with the lost partner-earned-credit alert, and coverage with a simple recommendation.
Money as strings with the currency's minor-unit places.

Who sees what (queries.scope):
- the root's administrators and leaders: every commitment and credit, unassigned ones included;
- another organisation's administrators and leaders: the commitments owned by, or covering usage
  of, an organisation of their subtree;
- account managers: those of their assigned customers;
- customers: the commitments their own organisation owns (a user limited to cost groups: none,
  a commitment belongs to an account, not to a cost group).
Any customer the user may not see is never named: what a commitment did for it is summed into
one entry, "(other customers)". Policies, credits and coverage are seller-side reads (admins,
leaders, account managers), on the edges the user's organisation sells on; a credit kept by an
organisation above the user's (its seller's margin) is not shown to it.
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from pricing.money import HUNDRED, ROUNDING, ZERO, D
from queries import sql
from queries.reports.common import money_text, records
from queries.scope import (
    FULL_ROLES,
    Scope,
    ScopeError,
    _org,
    check_period,
    customer_filter,
    own_org,
    seller_view,
)

OTHERS = "(other customers)"
PCT = Decimal("0.01")
# The recommendation's assumptions, shown beside it (docs/pricing.md §10): a one-year, no-upfront
# compute commitment at a typical discount on the on-demand rate the seller pays.
RECOMMENDED_TERM = "1 year, no upfront"
RECOMMENDED_DISCOUNT_PCT = D("30")
UNDER_USED_BELOW_PCT = D("80")          # a commitment used less than this is flagged on the page
CREDIT_KINDS = ("partner_earned", "promotional", "support", "refund", "other")


# --------------------------------------------------------------------------------------------
# Who the user may see

def _is_root(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    return own_org(con, scope).is_root


def commitment_visibility(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str] | None:
    """The organisations whose commitments and usage this user may see (None: all, unassigned
    included: the root's administrators and leaders). ScopeError for a role that sees none."""
    if scope.has_role(*FULL_ROLES):
        return None if _is_root(con, scope) else sorted(scope.visible_orgs)
    if scope.has_role("account_manager"):
        return sorted(set(scope.customers or ()) & set(scope.visible_orgs))
    if scope.has_role("customer"):
        if scope.cost_groups:
            raise ScopeError("Your access covers some cost groups only; commitments belong to whole "
                             "accounts, so they are not shown to you.")
        return [scope.org_id]
    raise ScopeError("Commitments are shown to administrators, leaders, account managers and customers only.")


def _require_seller(scope: Scope, what: str) -> None:
    if not seller_view(scope):
        raise ScopeError(f"{what} is shown to administrators, leaders and account managers only.")


def _label(customer: str | None, visible: list[str] | None) -> str | None:
    """The customer as this user may see it: its id, None for unassigned usage (root only), or
    OTHERS for anyone the user may not see."""
    if visible is None:
        return customer
    return customer if customer in visible else OTHERS


def _pct(part: Decimal, whole: Decimal) -> str | None:
    """part / whole as a percentage with 2 places (half away from zero); None when whole is 0."""
    if whole == ZERO:
        return None
    return format((part * HUNDRED / whole).quantize(PCT, rounding=ROUNDING), "f")


def _names(con: duckdb.DuckDBPyConnection, ids) -> dict[str, str]:
    out = {}
    for i in ids:
        if i and i != OTHERS:
            org = _org(con, i)
            out[i] = org.name if org else i
    return out


def _previous(period: date) -> date:
    return (period - timedelta(days=1)).replace(day=1)


# --------------------------------------------------------------------------------------------
# Inventory and the single-customer rule

def commitment_inventory(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """One entry per commitment of the period the user may see: {commitment_id, provider, type,
    category, name, currency, owner_customer, owner_sub_account, owner_source, utilization_pct,
    purchase_cost, amortized_cost, used_cost, used_list_cost, unused_cost, rows,
    covered: [{customer, effective_cost, list_cost, rows}],
    violations: [{customer, effective_cost, list_cost, rows}]} (money and % as strings).
    owner_customer is None when the owner's account maps to no customer or is unknown
    (owner_source None); a customer the user may not see is OTHERS."""
    p = check_period(con, scope, period)
    visible = commitment_visibility(con, scope)
    owned_only = not seller_view(scope)       # a customer: the commitments it owns
    inventory = records(con.execute(sql("rpt_commit_inventory"),
                                    {"period": p, "visible": visible, "owned_only": owned_only}))
    keys = {(r["CommitmentDiscountId"], r["ProviderName"], r["BillingCurrency"]) for r in inventory}
    covered: dict[tuple, dict] = defaultdict(dict)
    violations: dict[tuple, dict] = defaultdict(dict)
    for r in records(con.execute(sql("rpt_commit_covered"), {"period": p})):
        key = (r["CommitmentDiscountId"], r["ProviderName"], r["BillingCurrency"])
        if key not in keys:
            continue
        who = _label(r["x_CustomerId"], visible)
        targets = [covered[key]] + ([violations[key]] if r["x_Violation"] else [])
        for target in targets:
            entry = target.setdefault(who, {"effective_cost": ZERO, "list_cost": ZERO, "rows": 0})
            entry["effective_cost"] += r["effective_cost"]
            entry["list_cost"] += r["list_cost"]
            entry["rows"] += int(r["x_RowCount"])

    def listed(entries: dict, ccy: str) -> list[dict]:
        order = sorted(entries, key=lambda c: (c is None, c == OTHERS, c or ""))
        return [{"customer": c, "effective_cost": money_text(entries[c]["effective_cost"], ccy),
                 "list_cost": money_text(entries[c]["list_cost"], ccy), "rows": entries[c]["rows"]}
                for c in order]

    out = []
    for r in inventory:
        ccy = r["BillingCurrency"]
        key = (r["CommitmentDiscountId"], r["ProviderName"], ccy)
        owner = r["x_OwnerCustomerId"]
        out.append({
            "commitment_id": r["CommitmentDiscountId"], "provider": r["ProviderName"],
            "type": r["CommitmentDiscountType"], "category": r["CommitmentDiscountCategory"],
            "name": r["CommitmentDiscountName"], "currency": ccy,
            "owner_customer": _label(owner, visible) if owner is not None else None,
            "owner_sub_account": r["x_OwnerSubAccountId"] if _label(owner, visible) != OTHERS else None,
            "owner_source": r["x_OwnerSource"],
            "utilization_pct": _pct(r["used_cost"], r["amortized_cost"]),
            "purchase_cost": money_text(r["purchase_cost"], ccy),
            "amortized_cost": money_text(r["amortized_cost"], ccy),
            "used_cost": money_text(r["used_cost"], ccy),
            "used_list_cost": money_text(r["used_list_cost"], ccy),
            "unused_cost": money_text(r["unused_cost"], ccy),
            "rows": int(r["x_RowCount"]),
            "covered": listed(covered.get(key, {}), ccy),
            "violations": listed(violations.get(key, {}), ccy),
        })
    return out


def commitment_violations(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """The single-customer rule's violations of the period, one entry per (commitment, owner,
    beneficiary): {commitment_id, provider, type, currency, owner_customer, customer, rows,
    effective_cost, list_cost}. Same visibility as commitment_inventory."""
    return [{"commitment_id": c["commitment_id"], "provider": c["provider"], "type": c["type"],
             "currency": c["currency"], "owner_customer": c["owner_customer"], **v}
            for c in commitment_inventory(con, scope, period) for v in c["violations"]]


# --------------------------------------------------------------------------------------------
# Policies as money

def policy_money(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """What each commitment policy did on the user's organisation's selling edges, per buyer, end
    customer and row currency: {buyer, customer, currency, policy, share_pct, basis,
    covered_list, covered_effective, saving, saving_passed, saving_retained, waste_carried,
    waste_passed, purchase_billed, purchase_charged} (strings; before the rule's factor and
    tiers; saving = saving_passed + saving_retained). docs/pricing.md §10 says which invoice line
    carries each. Admins, leaders, account managers (their customers)."""
    _require_seller(scope, "What the commitment policies did")
    p = check_period(con, scope, period)
    out = []
    for r in records(con.execute(sql("rpt_commit_policy"), {
            "period": p, "org": scope.org_id, "customers": customer_filter(scope)})):
        ccy = r["BillingCurrency"]
        share = r["share_pct"]
        out.append({
            "buyer": r["x_BuyerId"], "customer": r["x_CustomerId"], "currency": ccy,
            "policy": r["policy"], "basis": r["x_Basis"],
            "share_pct": format(share.normalize(), "f") if r["policy"] == "share" and share is not None else None,
            "covered_list": money_text(r["covered_list"], ccy),
            "covered_effective": money_text(r["covered_effective"], ccy),
            "saving": money_text(r["covered_list"] - r["covered_effective"], ccy),
            "saving_passed": money_text(r["saving_passed"], ccy),
            "saving_retained": money_text(r["saving_retained"], ccy),
            "waste_carried": money_text(r["waste_carried"], ccy),
            "waste_passed": money_text(r["waste_passed"], ccy),
            "purchase_billed": money_text(r["purchase_billed"], ccy),
            "purchase_charged": money_text(r["purchase_basis"], ccy),
        })
    return out


# --------------------------------------------------------------------------------------------
# Credits by kind, and the lost partner-earned credit

def _credit_rows(con: duckdb.DuckDBPyConnection, scope: Scope, periods: list[date]) -> list[dict]:
    visible = commitment_visibility(con, scope)
    root = visible is None
    rows = records(con.execute(sql("rpt_credit_kinds"), {"periods": periods, "visible": visible}))
    if root:
        return rows
    # Not the root: a credit an organisation above the user's keeps is that seller's margin.
    mine = scope.visible_orgs
    return [r for r in rows if r["x_RetainedBy"] is None or r["x_RetainedBy"] in mine]


def _treatment(r: dict) -> str:
    if r["source"] == "usage":
        return "in the usage price"
    if r["x_CustomerId"] is None:
        return "unassigned"
    return f"retained by {r['x_RetainedBy']}" if r["x_RetainedBy"] else "passed to the customer"


def credits_by_kind(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """Provider credits of the period by customer, provider and kind (partner_earned,
    promotional, support, refund, other): {customer, provider, currency, kind, source, rows,
    amount (negative), treatment ('retained by ORG' | 'passed to the customer' | 'in the usage
    price' | 'unassigned')}. Admins, leaders, account managers (their customers)."""
    _require_seller(scope, "Credits by kind")
    p = check_period(con, scope, period)
    return [{"customer": r["x_CustomerId"], "provider": r["ProviderName"], "currency": r["BillingCurrency"],
             "kind": r["kind"], "source": r["source"], "rows": int(r["x_RowCount"]),
             "amount": money_text(r["amount"], r["BillingCurrency"]), "treatment": _treatment(r)}
            for r in _credit_rows(con, scope, [p])]


def partner_credit_alerts(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """Customers that earned Azure partner-earned credit (PEC) in the month before `period` and
    earn none in `period`: PEC is lost when the partner's admin access to the customer's
    subscriptions is removed. {customer, name, provider, period, previous_period,
    previous_amount (the credit earned then, positive), currency}. Nothing when the month before
    has not been billed."""
    _require_seller(scope, "The partner-earned credit alert")
    p = check_period(con, scope, period)
    before = _previous(p)
    earned: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    now: set[tuple] = set()
    for r in _credit_rows(con, scope, [before, p]):
        if r["kind"] != "partner_earned" or r["x_CustomerId"] is None:
            continue
        key = (r["x_CustomerId"], r["ProviderName"], r["BillingCurrency"])
        if r["x_Period"] == before:
            earned[key] += r["amount"]
        else:
            now.add((r["x_CustomerId"], r["ProviderName"]))
    lost = sorted(k for k, v in earned.items() if v != ZERO and (k[0], k[1]) not in now)
    names = _names(con, {k[0] for k in lost})
    return [{"customer": c, "name": names.get(c, c), "provider": prov, "period": f"{p:%Y-%m}",
             "previous_period": f"{before:%Y-%m}", "previous_amount": money_text(-earned[(c, prov, ccy)], ccy),
             "currency": ccy} for c, prov, ccy in lost]


# --------------------------------------------------------------------------------------------
# Coverage and recommendation

def coverage(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """Per customer, provider and currency: {customer, name, provider, currency, coverage_pct
    (compute list cost covered by commitments / all compute list cost), utilization_pct (of the
    commitments the customer owns), saving_passed (on the user's selling edges), ondemand_cost,
    steady_monthly (the lowest daily on-demand compute cost × the days of the month, when the
    customer ran compute on demand every day of the period so far; else 0), term, discount_pct,
    monthly_saving (steady_monthly × discount at today's prices)}. Admins, leaders, account
    managers."""
    _require_seller(scope, "Coverage")
    p = check_period(con, scope, period)
    visible = commitment_visibility(con, scope)
    month_days = calendar.monthrange(p.year, p.month)[1]
    used: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    amortized: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for r in records(con.execute(sql("rpt_commit_inventory"),
                                 {"period": p, "visible": visible, "owned_only": False})):
        key = (r["x_OwnerCustomerId"], r["ProviderName"], r["BillingCurrency"])
        used[key] += r["used_cost"]
        amortized[key] += r["amortized_cost"]
    passed: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for r in records(con.execute(sql("rpt_commit_policy"), {
            "period": p, "org": scope.org_id, "customers": customer_filter(scope)})):
        passed[(r["x_CustomerId"], r["BillingCurrency"])] += r["saving_passed"]
    rows = records(con.execute(sql("rpt_commit_coverage"), {"period": p, "visible": visible}))
    names = _names(con, {r["x_CustomerId"] for r in rows})
    out = []
    for r in rows:
        ccy = r["BillingCurrency"]
        key = (r["x_CustomerId"], r["ProviderName"], ccy)
        steady_daily = r["min_daily_ondemand"] if r["x_Days"] >= r["x_PeriodDays"] > 0 else ZERO
        steady = steady_daily * month_days
        out.append({
            "customer": r["x_CustomerId"], "name": names.get(r["x_CustomerId"], r["x_CustomerId"]),
            "provider": r["ProviderName"], "currency": ccy,
            "coverage_pct": _pct(r["covered_list"], r["compute_list"]),
            "utilization_pct": _pct(used[key], amortized[key]),
            "saving_passed": money_text(passed.get((r["x_CustomerId"], ccy), ZERO), ccy),
            "ondemand_cost": money_text(r["ondemand_billed"], ccy),
            "steady_monthly": money_text(steady, ccy),
            "term": RECOMMENDED_TERM,
            "discount_pct": format(RECOMMENDED_DISCOUNT_PCT, "f"),
            "monthly_saving": money_text(steady * RECOMMENDED_DISCOUNT_PCT / HUNDRED, ccy),
        })
    return out


def under_used(inventory: list[dict], below_pct: Decimal = UNDER_USED_BELOW_PCT) -> list[dict]:
    """The commitments of an inventory whose utilisation is below `below_pct` (default 80 %)."""
    return [c for c in inventory if c["utilization_pct"] is not None and D(c["utilization_pct"]) < below_pct]


def commitments_page(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> dict:
    """Everything the Commitments page shows, in one scoped read: {inventory, violations,
    under_used, policies, credits, pec_alerts, coverage}. Seller-side parts are empty lists for a
    user without a seller view."""
    inventory = commitment_inventory(con, scope, period)
    seller = seller_view(scope)
    return {
        "inventory": inventory,
        "violations": [{"commitment_id": c["commitment_id"], "provider": c["provider"], "type": c["type"],
                        "currency": c["currency"], "owner_customer": c["owner_customer"], **v}
                       for c in inventory for v in c["violations"]],
        "under_used": under_used(inventory),
        "policies": policy_money(con, scope, period) if seller else [],
        "credits": credits_by_kind(con, scope, period) if seller else [],
        "pec_alerts": partner_credit_alerts(con, scope, period) if seller else [],
        "coverage": coverage(con, scope, period) if seller else [],
    }
