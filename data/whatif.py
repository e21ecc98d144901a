"""What-if: a past period priced again with a changed plan, without changing anything stored.

An organisation's admin or leader takes one of the plans it sells on, changes it (rules, tiers,
fees, credit or commitment policy) and asks what each buyer on that plan would have been
invoiced for a period the store has billed, and what the organisation would have earned on it.

How (docs/pricing.md §10): the current run's pricing groups on the seller's edges to those
buyers, with the seller's cost of each (`fct_groups`/`fct_prices`, read only), are priced again
by the reference engine (pricing.engine.bill_period, §3–§7: rules, commitments, credits, tiers,
fees, one rounding per invoice line) on a one-edge tree, seller → buyer, at the rates the run
used. Nothing above the edge changes (the seller's cost is what it paid), and nothing below it
is shown: a reseller's prices to its own customers are not the seller's to see (DOMAIN §3).

Per buyer: {buyer, currency, current_subtotal, new_subtotal, difference, current_margin,
new_margin}, money as strings at the currency's places. current_subtotal is the stored current
invoice's subtotal (0 without one); new_subtotal is the engine's subtotal plus the invoice's
correction lines (earlier periods' differences, which no plan changes); a margin is the subtotal
less the seller's cost of the buyer's rows (Σ x_Cost × x_FxRate, rounded once, as the margin
report counts it).

This module only reads: no billing run, no audit entry, no configuration version. Saving the
changed plan is data.config.save_plan's job (audited), as on the Plans page.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import yaml

from data.config import ConfigError, ConfigIssue, current_config
from data.config.plan_editing import _plan_issues, _plan_source
from data.config.validate import _validate_data
from pricing.engine import KEY_FIELDS, bill_period
from pricing.fx import FxTable
from pricing.hierarchy import Org
from pricing.money import ZERO, calc, ledger, round_line
from pricing.plans import Plan
from queries import sql
from queries.reports.common import money_text, records
from queries.scope import Scope, ScopeError, check_period, full_view

RESULT_KEYS = ("buyer", "currency", "current_subtotal", "new_subtotal", "difference",
               "current_margin", "new_margin")


class WhatIfError(ValueError):
    """The changed plan cannot price the period (a row no rule matches, a rate missing): one
    sentence naming the buyer and the rows."""


def _plan_text(plan: str | dict) -> str:
    """The plan as YAML text (a dict from a form is written out; floats are refused, numbers
    are text so they stay exact)."""
    if isinstance(plan, str):
        return plan
    if not isinstance(plan, dict):
        raise ConfigError([ConfigIssue("plan", "", "a plan is a mapping with id, owner, rules …")])

    def check(value: Any, path: str) -> None:
        if isinstance(value, float):
            raise ConfigError([ConfigIssue("plan", path, f"{value!r} is a float; allowed: the number "
                                           "written as text, e.g. '7' or '7.5'")])
        if isinstance(value, dict):
            for k, v in value.items():
                check(v, f"{path}.{k}" if path else str(k))
        if isinstance(value, list):
            for i, v in enumerate(value):
                check(v, f"{path}[{i}]")
    check(plan, "")
    return yaml.safe_dump(plan, sort_keys=False, allow_unicode=True)


def checked_plan(con: duckdb.DuckDBPyConnection, scope: Scope, plan: str | dict) -> Plan:
    """The changed plan as pricing's Plan, validated as saving it would validate it (the whole
    document again, problems told about this plan only) but not saved. It must be one of the
    plans the user's organisation sells on (same id, same owner). ScopeError otherwise;
    ConfigError for an invalid plan."""
    if not full_view(scope):
        raise ScopeError("What-if is for administrators and leaders only.")
    doc = current_config(con)
    if doc is None:
        raise ConfigError([ConfigIssue("store", "", "no configuration has been imported yet")])
    plan_doc, _lines = _plan_source(_plan_text(plan))
    data = doc.to_data()
    plans = data.get("plans", [])
    index = next((n for n, p in enumerate(plans) if p["id"] == plan_doc.get("id")), None)
    if index is None or plans[index]["owner"] != scope.org_id or plan_doc.get("owner") != scope.org_id:
        raise ScopeError("What-if prices one of the plans your own organisation sells on; "
                         "keep its id and owner.")
    plans[index] = plan_doc
    prefix = ("plans", index)
    try:
        new_doc = _validate_data(data, {}, [], "plan")
    except ConfigError as exc:
        raise ConfigError(_plan_issues(exc.issues, prefix)) from None
    return new_doc.plans[index].to_plan()


# ---------------------------------------------------------------------------------------------
# The What-if page's form: a plan as three small tables and a few choices, and back.

RULE_COLUMNS = ("ProviderName", "ServiceCategory", "ServiceName", "SkuId", "RegionId", "ChargeCategory",
                "basis", "discount_pct", "markup_pct")
BAND_COLUMNS = ("from", "discount_pct")
FEE_COLUMNS = ("name", "amount", "pct_of_usage")


def plans_for_whatif(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """The plans the user's organisation sells on, as document data (admins and leaders: a
    leader may try a change; saving it stays an administrator's, data.config.save_plan)."""
    if not full_view(scope):
        raise ScopeError("What-if is for administrators and leaders only.")
    doc = current_config(con)
    if doc is None:
        return []
    return [p for p in doc.to_data().get("plans", []) if p["owner"] == scope.org_id]


def _cell(value: Any) -> str | None:
    """A form cell as text; empty, None and a table's NaN are no value."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def plan_form(plan: dict) -> dict:
    """A plan (document data) as the form shows it: {rules, bands, fees} as lists of rows with
    RULE_COLUMNS / BAND_COLUMNS / FEE_COLUMNS (None where empty), and tiers_mode, credits,
    commitments, commitment_share_pct."""
    rules = [{**{c: None for c in RULE_COLUMNS}, **(r.get("match") or {}),
              **{k: r.get(k) for k in ("basis", "discount_pct", "markup_pct")}} for r in plan.get("rules", [])]
    tiers = plan.get("tiers") or {}
    return {
        "rules": rules,
        "bands": [{"from": b.get("from"), "discount_pct": b.get("discount_pct")} for b in tiers.get("bands", [])],
        "fees": [{c: f.get(c) for c in FEE_COLUMNS} for f in plan.get("fees", [])],
        "tiers_mode": tiers.get("mode"),
        "credits": plan.get("credits", "retain"),
        "commitments": plan.get("commitments", "pass_through"),
        "commitment_share_pct": plan.get("commitment_share_pct"),
    }


def plan_from_form(base: dict, *, rules: list[dict], bands: list[dict], fees: list[dict],
                   tiers_mode: str | None, credits: str, commitments: str,
                   commitment_share_pct: Any = None) -> dict:
    """The plan the form describes: `base` (its id, owner, name) with the rows of the three
    tables (empty rows dropped; every value as text, so numbers stay exact). Not validated:
    checked_plan and save_plan do that, and say what is wrong with which row."""
    plan: dict[str, Any] = {k: base[k] for k in ("id", "owner", "name") if base.get(k) is not None}
    plan["rules"] = []
    for row in rules:
        cells = {c: _cell(row.get(c)) for c in RULE_COLUMNS}
        if not any(cells.values()):
            continue
        rule: dict[str, Any] = {}
        match = {c: cells[c] for c in RULE_COLUMNS[:6] if cells[c] is not None}
        if match:
            rule["match"] = match
        for k in ("basis", "discount_pct", "markup_pct"):
            if cells[k] is not None:
                rule[k] = cells[k]
        plan["rules"].append(rule)
    plan["credits"] = credits
    if tiers_mode:
        plan["tiers"] = {"mode": tiers_mode, "bands": [
            {k: _cell(b.get(k)) for k in BAND_COLUMNS} for b in bands
            if any(_cell(b.get(k)) for k in BAND_COLUMNS)]}
    fee_rows = [{k: _cell(f.get(k)) for k in FEE_COLUMNS if _cell(f.get(k)) is not None}
                for f in fees]
    if any(fee_rows):
        plan["fees"] = [f for f in fee_rows if f]
    plan["commitments"] = commitments
    if _cell(commitment_share_pct) is not None:
        plan["commitment_share_pct"] = _cell(commitment_share_pct)
    return plan


def plan_yaml(plan: dict) -> str:
    """The plan as the Plans page shows it and save_plan reads it."""
    return _plan_text(plan)


def _engine_row(g: dict, buyer: str) -> dict:
    """A stored group as one FOCUS-like row for the engine, sold by the seller to `buyer`: its
    cost on the edge is the root's charge of the one-edge tree (BilledCost = x_Cost). Rows of the
    buyer's customers keep their own group: the customer is folded into InvoiceId (a key field no
    rule matches and no invoice line shows), so no two stored groups are summed into one."""
    row = {f: g[f] for f in KEY_FIELDS if f not in ("x_CorrectsPeriod",)}
    if g["x_CustomerId"] != buyer:
        row["InvoiceId"] = f"{g['x_CustomerId']}\x1f{'' if g['InvoiceId'] is None else 'v:' + g['InvoiceId']}"
    row["x_CustomerId"] = buyer
    row["ChargePeriodStart"] = g["x_CorrectsPeriod"]     # the month a correction corrects (§7)
    row["ListCost"], row["ContractedCost"] = g["ListCost"], g["ContractedCost"]
    row["BilledCost"], row["EffectiveCost"] = g["x_Cost"], g["EffectiveCost"]
    return row


def _reprice(period: date, seller: str, buyer: dict, groups: list[dict], plan: Plan) -> Decimal:
    """The subtotal of the buyer's invoice with `plan`, by the reference engine on a one-edge tree."""
    ccy = buyer["currency"]
    orgs = {seller: Org(id=seller, name=seller, kind="distributor", parent=None, currency=ccy),
            buyer["buyer"]: Org(id=buyer["buyer"], name=buyer["name"], kind="customer", parent=seller,
                                currency=ccy, plan=plan.id, tax_rate_pct=buyer["tax_rate_pct"])}
    rates: dict[tuple[date, str, str], Decimal] = {}
    for g in groups:
        if g["BillingCurrency"] != ccy:
            rates[(period, g["BillingCurrency"], ccy)] = g["x_FxRate"]   # the run's rate for the pair
    result = bill_period(period, orgs, {plan.id: plan}, FxTable(rates),
                         [_engine_row(g, buyer["buyer"]) for g in groups])
    problems = [i for i in result.issues if i.kind != "unassigned"]
    if problems:
        first = problems[0]
        what = {"no_rule": "no rule of the changed plan matches",
                "no_fx": "there is no exchange rate for",
                "no_plan": "the plan is missing for"}.get(first.kind, "the changed plan cannot price")
        raise WhatIfError(f"The changed plan cannot price {buyer['buyer']}'s {period:%Y-%m}: {what} "
                          f"{sum(i.row_count for i in problems):,} rows (for example "
                          f"{first.ProviderName} {first.ServiceName}, {first.ChargeCategory}); "
                          f"add a rule that matches them.")
    invoice = result.invoice(seller, buyer["buyer"])
    return invoice.subtotal if invoice is not None else ZERO


def what_if(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, plan: str | dict) -> list[dict]:
    """Per buyer of the plan in `period`: {buyer, currency, current_subtotal, new_subtotal,
    difference, current_margin, new_margin} as strings (see the module docstring). Admins and
    leaders of the plan's owner; the period must be billed. Reads only."""
    new_plan = checked_plan(con, scope, plan)
    p = check_period(con, scope, period)
    buyers = records(con.execute(sql("rpt_whatif_buyers"),
                                 {"org": scope.org_id, "plan": new_plan.id, "period": p}))
    groups: dict[str, list[dict]] = {b["buyer"]: [] for b in buyers}
    for g in records(con.execute(sql("rpt_whatif_groups"),
                                 {"org": scope.org_id, "buyers": sorted(groups), "period": p})):
        groups[g["x_BuyerId"]].append(g)
    out = []
    with calc():
        for b in buyers:
            ccy = b["currency"]
            if ccy is None:
                continue                     # no longer configured and never invoiced: nothing to say
            current = b["current_subtotal"] if b["current_subtotal"] is not None else ZERO
            new = _reprice(p, scope.org_id, b, groups[b["buyer"]], new_plan) + b["corrections"]
            cost = round_line(ledger(b["cost"]), ccy)
            out.append({"buyer": b["buyer"], "currency": ccy,
                        "current_subtotal": money_text(current, ccy), "new_subtotal": money_text(new, ccy),
                        "difference": money_text(new - current, ccy),
                        "current_margin": money_text(current - cost, ccy),
                        "new_margin": money_text(new - cost, ccy)})
    return out
