"""Why this price (issue #12, item 3): the pricing that made a buyer's price, read from the
billing run's stored decisions, never decided again from today's configuration.

For one customer, one billed period and either one pricing group of the period's current run
(`group_id`, as `price_groups` lists them) or an invoice line (`provider` + `service`, narrowed by
`sku`, `region`, `sub_account`: a row's identifying fields), `explain_price` returns the terms of
the customer's OWN edge (its seller → it):
- the plan the run priced the edge with (fct_edges) and the rule that matched (fct_prices.x_RuleNo)
  with its match fields, read from the configuration version the run used (cfg_documents); only
  a run stored without a version falls back to today's plan, and the answer says so;
- the basis (list / contracted / effective / cost, and the commitment case from x_BasisCode);
- the discount or markup (x_Factor), the tier discount applied to the month (x_TierFactor) and
  the FX rate (x_FxRate) into the customer's currency.

Only the customer's own edge: never its seller's cost, never the seller's own plan (the edge
above). The basis amount is shown only where the user may see it: a provider price (list,
contracted, effective) to users of a reseller or distributor, a cost-plus basis only to the
seller (its own cost); a customer's users see the terms and their own prices, never an amount
their price was computed from. Every read is checked by queries.scope (edge, check_period).
"""
from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import duckdb

from pricing.money import HUNDRED, ONE, ZERO, round_line
from queries import sql
from queries.reports.common import check_limit, records
from queries.scope import Edge, Scope, ScopeError, check_period, edge, own_org

EXPLAIN_LIMIT = 5_000          # groups one listing returns (a customer has a few hundred a month)
NOT_THEIRS_GROUP = "That pricing group is not one of this customer's charges for the month."
NOT_THEIRS_LINE = "That invoice line has no charges of this customer's for the month."
COST_GROUPS_ONLY = ("Your access covers some cost groups only; a price's terms cover the whole "
                    "organisation's charges, so they are not shown to you.")

MATCH_ORDER = ("ProviderName", "ServiceCategory", "ServiceName", "SkuId", "RegionId", "ChargeCategory")

# x_BasisCode (migration 012, docs/pricing.md §8): what the edge's price followed.
_CODE_TEXT = {
    "L": "list price (ListCost)",
    "C": "contracted price (ContractedCost)",
    "E": "effective price (EffectiveCost, commitments amortised)",
    "S": "shared commitment saving (ListCost less the passed-on share of the saving)",
    "Z": "nothing (not passed on)",
    "B": "the provider's charge to the seller (BilledCost)",
}


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise ValueError(f"{field} must be a text of at most 256 characters")
    return value


def _group_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ScopeError(NOT_THEIRS_GROUP)
    if isinstance(value, int) and 0 < value < 2**63:
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 19:
        return int(value.strip())
    raise ScopeError(NOT_THEIRS_GROUP)


def _checked_edge(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> Edge:
    on = edge(con, scope, customer_id)
    if on.cost_groups is not None:
        raise ScopeError(COST_GROUPS_ONLY)
    return on


def _params(con: duckdb.DuckDBPyConnection, scope: Scope, on: Edge, p, **filters: Any) -> dict:
    me = own_org(con, scope)
    return {"period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
            "group_id": None, "provider": None, "service": None, "sku": None, "region": None,
            "sub_account": None, "limit": EXPLAIN_LIMIT,
            "show_list": me.kind != "customer", "show_cost": not on.own, **filters}


def price_groups(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                 provider: Any = None, service: Any = None, limit: int = EXPLAIN_LIMIT) -> list[dict]:
    """The customer's pricing groups of the period's current run on its own edge (what the Why
    this price page picks from): [{group_id, provider, service, sku, region, sub_account,
    charge_category, rows, price (Decimal, unrounded, the customer's currency), currency}],
    by provider, service, SKU, region, sub-account. Retained credits are not the customer's."""
    check_limit(limit)
    on = _checked_edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    found = records(con.execute(sql("rpt_explain_groups"), _params(
        con, scope, on, p, provider=_text(provider, "provider"), service=_text(service, "service"),
        limit=limit)))
    return [{"group_id": r["x_GroupId"], "provider": r["ProviderName"], "service": r["ServiceName"],
             "sku": r["SkuId"], "region": r["RegionId"], "sub_account": r["SubAccountId"],
             "charge_category": r["ChargeCategory"], "rows": r["x_RowCount"],
             "price": r["x_PriceBuyer"], "currency": r["x_BuyerCurrency"]} for r in found]


def _pct(value: Decimal) -> Decimal:
    """A percentage without trailing zeros (Decimal('5'), Decimal('0.25'))."""
    return value.normalize() if value != ZERO else ZERO


def adjustment(factor: Decimal | None) -> dict:
    """The discount or markup a stored factor (x_Factor) stands for: {kind: 'discount' |
    'markup' | 'none', pct (Decimal, None for 'none'), text}."""
    if factor is None:
        return {"kind": "none", "pct": None, "text": "at the seller's own price (no rule)"}
    if factor < ONE:
        pct = _pct((ONE - factor) * HUNDRED)
        return {"kind": "discount", "pct": pct, "text": f"{pct:f} % discount"}
    if factor > ONE:
        pct = _pct((factor - ONE) * HUNDRED)
        return {"kind": "markup", "pct": pct, "text": f"{pct:f} % markup"}
    return {"kind": "none", "pct": None, "text": "no discount or markup (price = basis)"}


def basis_case(row: dict, share_frac: Decimal | None) -> str:
    """One sentence: which amount the price followed and why (the rule's basis, a commitment
    case, a cost-plus rule, a passed credit or an adjustment), from the stored decision."""
    treatment, basis, code = row["x_Treatment"], row["x_Basis"], row["x_BasisCode"]
    if treatment == "passed_credit":
        return "a provider credit passed on at the seller's own price (plan credits: pass_through)"
    if treatment == "adjustment":
        return "a provider adjustment passed on at the seller's own price"
    if basis == "cost":
        return "cost-plus: what the seller itself pays for these charges"
    followed = _CODE_TEXT.get(code or "", "the rule's basis")
    status = row["CommitmentDiscountStatus"]
    if row["x_Commitment"] and row["ChargeCategory"] == "Purchase":
        why = "a commitment purchase is priced on its amortised (effective) cost"
    elif status == "Used":
        why = {"E": "usage covered by a commitment, plan commitments: pass_through",
               "L": "usage covered by a commitment, plan commitments: retain (priced at list)",
               "S": (f"usage covered by a commitment, plan commitments: share "
                     f"({_pct((share_frac or ZERO) * HUNDRED):f} % of the saving passed on)")
               }.get(code or "", "usage covered by a commitment")
    elif status == "Unused":
        why = {"E": "an unused commitment, plan commitments: pass_through",
               "Z": "an unused commitment the seller keeps (plan commitments: retain or share)"
               }.get(code or "", "an unused commitment")
    else:
        why = f"the rule's basis: {basis}"
    return f"{followed} — {why}"


def _rule(plan: dict | None, rule_no: int | None) -> dict | None:
    """The rule as the plan document writes it: {match: {field: value} in MATCH_ORDER, basis,
    discount_pct?, markup_pct?}; None when the plan or the rule is not known."""
    if plan is None or rule_no is None:
        return None
    rules = plan.get("rules") or []
    if not 0 <= rule_no < len(rules):
        return None
    rule = rules[rule_no]
    match = rule.get("match") or {}
    out = {"match": {f: match[f] for f in MATCH_ORDER if f in match}, "basis": rule.get("basis")}
    for k in ("discount_pct", "markup_pct"):
        if rule.get(k) is not None:
            out[k] = Decimal(str(rule[k]))
    return out


def rule_text(rule: dict | None) -> str:
    """'ServiceName = AmazonEC2, RegionId = us-east-1' ('every charge' for an empty match)."""
    if rule is None:
        return "(the rule is not stored with this run)"
    return ", ".join(f"{k} = {v}" for k, v in rule["match"].items()) or "every charge (empty match)"


def _plan_terms(con: duckdb.DuckDBPyConnection, plan_id: str, version: int | None) -> dict | None:
    found = records(con.execute(sql("rpt_explain_plan"), {"version": version, "plan_id": plan_id}))
    if not found:
        return None
    plan = json.loads(found[0]["plan"])
    tiers = plan.get("tiers")
    return {"id": plan.get("id"), "name": plan.get("name"), "source": found[0]["source"],
            "version": found[0]["version"], "credits": plan.get("credits", "retain"),
            "commitments": plan.get("commitments", "pass_through"),
            "tiers": None if not tiers else {
                "mode": tiers.get("mode"),
                "bands": [{"from": Decimal(str(b.get("from"))), "discount_pct": Decimal(str(b.get("discount_pct")))}
                          for b in tiers.get("bands", [])]},
            "_document": plan}


_TERM_KEY = ("ProviderName", "ServiceName", "x_Treatment", "x_PlanId", "x_RuleNo", "x_Basis",
             "x_BasisCode", "x_ShareFrac", "x_Factor", "x_TierFactor", "x_FxRate", "BillingCurrency",
             "x_BuyerCurrency")
_SHARED = ("SkuId", "RegionId", "SubAccountId", "ChargeCategory", "ServiceCategory",
           "CommitmentDiscountStatus", "x_Commitment", "x_CorrectsPeriod")


def explain_price(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                  group_id: Any = None, provider: Any = None, service: Any = None, sku: Any = None,
                  region: Any = None, sub_account: Any = None) -> dict:
    """The pricing that made customer_id's price for one pricing group (`group_id`) or one
    invoice line (`provider` + `service`, optionally narrowed by `sku`, `region`, `sub_account`)
    of `period`'s current billing run, on the customer's own edge:

        {customer, customer_name, seller, period, run_id, currency,
         plan: {id, name, source ('run' | 'today'), version, credits, commitments,
                tiers: {mode, bands: [{from, discount_pct}]} | None} | None,
         terms: [{groups: [ids], rows, provider, service, sku, region, sub_account,
                  charge_category (None where the term's groups differ), treatment,
                  rule_no, rule: {match, basis, discount_pct?, markup_pct?} | None, rule_text,
                  basis, basis_code, basis_case, basis_amount (Decimal | None: not shown to
                  this user), billing_currency, factor, adjustment: {kind, pct, text},
                  price_pre_tier, tier_factor, tier_discount_pct, price, fx_rate,
                  buyer_currency, price_buyer}],
         total (Decimal, unrounded), total_rounded}

    One term per distinct decision (rule, basis, factor, tier factor, rate): a single group is
    one term. Amounts are Decimal, unrounded as the ledger keeps them (price_pre_tier and price
    in the billing currency, price_buyer in the customer's). ScopeError for a customer, period,
    group or line the user may not see; ValueError when neither a group nor a line is given."""
    on = _checked_edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    gid = _group_id(group_id)
    filters = {"provider": _text(provider, "provider"), "service": _text(service, "service"),
               "sku": _text(sku, "sku"), "region": _text(region, "region"),
               "sub_account": _text(sub_account, "sub_account")}
    if gid is None and (filters["provider"] is None or filters["service"] is None):
        raise ValueError("Pick a pricing group or an invoice line (provider and service) to explain.")
    found = records(con.execute(sql("rpt_explain_groups"), _params(con, scope, on, p, group_id=gid,
                                                                   **filters)))
    if not found:
        raise ScopeError(NOT_THEIRS_GROUP if gid is not None else NOT_THEIRS_LINE)
    run_id, version = found[0]["run_id"], found[0]["config_version"]
    edges = records(con.execute(sql("rpt_explain_edge"), {
        "period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers}))
    share = {e["plan_id"]: e["share_frac"] for e in edges}
    plans: dict[str, dict | None] = {}
    for plan_id in sorted({r["x_PlanId"] for r in found if r["x_PlanId"]} | set(share)):
        plans[plan_id] = _plan_terms(con, plan_id, version)

    by_term: dict[tuple, list[dict]] = defaultdict(list)
    for r in found:
        by_term[tuple(r[k] for k in _TERM_KEY)].append(r)
    terms = []
    for rows in by_term.values():
        first = rows[0]
        plan = plans.get(first["x_PlanId"]) if first["x_PlanId"] else None
        rule = _rule(plan["_document"] if plan else None, first["x_RuleNo"])
        amounts = [r["x_BasisAmount"] for r in rows]
        tier = first["x_TierFactor"]
        terms.append({
            "groups": [r["x_GroupId"] for r in rows],
            "rows": sum(r["x_RowCount"] for r in rows),
            "provider": first["ProviderName"], "service": first["ServiceName"],
            **{out: (first[k] if all(r[k] == first[k] for r in rows) else None)
               for out, k in (("sku", "SkuId"), ("region", "RegionId"), ("sub_account", "SubAccountId"),
                              ("charge_category", "ChargeCategory"))},
            "treatment": first["x_Treatment"], "plan_id": first["x_PlanId"],
            "rule_no": first["x_RuleNo"], "rule": rule,
            "rule_text": rule_text(rule) if first["x_RuleNo"] is not None else "(no rule: not priced by a rule)",
            "basis": first["x_Basis"], "basis_code": first["x_BasisCode"],
            "basis_case": basis_case(first, first["x_ShareFrac"]),
            "basis_amount": None if any(a is None for a in amounts) else sum(amounts, ZERO),
            "billing_currency": first["BillingCurrency"],
            "factor": first["x_Factor"], "adjustment": adjustment(first["x_Factor"]),
            "price_pre_tier": sum((r["x_PricePreTier"] for r in rows), ZERO),
            "tier_factor": tier,
            "tier_discount_pct": _pct((ONE - tier) * HUNDRED),
            "price": sum((r["x_Price"] for r in rows), ZERO),
            "fx_rate": first["x_FxRate"], "buyer_currency": first["x_BuyerCurrency"],
            "price_buyer": sum((r["x_PriceBuyer"] for r in rows), ZERO),
        })
    currency = on.buyer_org.currency
    total = sum((t["price_buyer"] for t in terms), ZERO)
    edge_plan = next(iter(share), None) or next((t["plan_id"] for t in terms if t["plan_id"]), None)
    plan_out = None
    if edge_plan and plans.get(edge_plan):
        plan_out = {k: v for k, v in plans[edge_plan].items() if k != "_document"}
        plan_out["commitment_share_pct"] = (_pct(share[edge_plan] * HUNDRED)
                                            if share.get(edge_plan) is not None else None)
    return {"customer": on.buyer, "customer_name": on.buyer_org.name, "seller": on.seller,
            "period": p, "run_id": run_id, "currency": currency, "plan": plan_out, "terms": terms,
            "total": total, "total_rounded": round_line(total, currency)}
