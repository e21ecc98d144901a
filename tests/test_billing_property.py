"""Property test: the SQL billing run and the pure model (pricing.engine) agree to the cent.

Hypothesis draws a random 2-tier channel with 1-tier customers mixed in, random plans (rules of
every basis, discounts and markups, tiers, fees, credit and commitment policies), FX rates and
FOCUS rows (every charge category, commitments, negative amounts, unassigned accounts). Both
engines price the same rows; every invoice line, subtotal, tax and total must be equal.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import bcrypt
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data.billing import run_billing
from data.config import to_pricing, current_config
from pricing.engine import bill_period
from tests.billing_support import focus_row, invoices_by_buyer, make_store

P = date(2026, 5, 1)
HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
CCYS = ["USD", "EUR", "GBP"]
ORGS = [  # id, kind, parent, currency
    ("r1", "reseller", "root", "USD"),
    ("r2", "reseller", "root", "EUR"),
    ("c1", "customer", "r1", "USD"),
    ("c2", "customer", "r1", "GBP"),
    ("c3", "customer", "r2", "EUR"),
    ("c4", "customer", "root", "USD"),
]
SUBS = {"c1": "111111111111", "c2": "222222222222", "c3": "333333333333", "c4": "444444444444"}
SERVICES = [("AmazonEC2", "Compute", "SKU-A"), ("AmazonEC2", "Compute", "SKU-B"),
            ("AmazonS3", "Storage", "SKU-C"), ("AmazonRDS", "Databases", "SKU-D")]

pct = st.decimals(min_value=0, max_value=40, places=2, allow_nan=False, allow_infinity=False)
amount = st.decimals(min_value=-50, max_value=5000, places=4, allow_nan=False, allow_infinity=False)


@st.composite
def plans(draw, buyer: str, owner: str) -> dict:
    def adjustment() -> dict:
        if draw(st.booleans()):
            return {"discount_pct": str(draw(pct))}
        return {"markup_pct": str(draw(pct))}

    rules = [{"basis": draw(st.sampled_from(["list", "contracted", "effective", "cost"])), **adjustment()}]
    used_fields = draw(st.lists(st.sampled_from(["ServiceCategory", "ServiceName", "SkuId"]), unique=True, max_size=3))
    for field in used_fields:   # one rule per field: never two rules of equal specificity
        value = {"ServiceCategory": "Compute", "ServiceName": "AmazonS3", "SkuId": "SKU-A"}[field]
        rules.append({"match": {field: value}, "basis": draw(st.sampled_from(["list", "cost", "effective"])),
                      **adjustment()})
    plan = {"id": f"plan-{buyer}", "owner": owner, "rules": rules,
            "credits": draw(st.sampled_from(["retain", "pass_through"])),
            "commitments": draw(st.sampled_from(["pass_through", "retain", "share"]))}
    if plan["commitments"] == "share":
        plan["commitment_share_pct"] = str(draw(st.decimals(min_value=0, max_value=100, places=2)))
    tier_mode = draw(st.sampled_from([None, "graduated", "volume"]))
    if tier_mode:
        second = draw(st.integers(min_value=100, max_value=5000))
        plan["tiers"] = {"mode": tier_mode, "bands": [
            {"from": "0", "discount_pct": "0"},
            {"from": str(second), "discount_pct": str(draw(pct))},
            {"from": str(second * 2), "discount_pct": str(draw(pct))}]}
    fees = []
    if draw(st.booleans()):
        fees.append({"name": "Managed service", "amount": str(draw(st.decimals(min_value=0, max_value=900, places=2)))})
    if draw(st.booleans()):
        fees.append({"name": "Support", "pct_of_usage": str(draw(pct))})
    if fees:
        plan["fees"] = fees
    return plan


@st.composite
def scenarios(draw) -> tuple[dict, list[dict]]:
    rates = []
    for a in CCYS:
        for b in CCYS:
            if a != b:
                rates.append({"period": "2026-05", "from": a, "to": b,
                              "rate": str(draw(st.decimals(min_value="0.5", max_value="1.6", places=4)))})
    config = {
        "root": {"id": "root", "name": "Root Distribution", "kind": "distributor", "currency": "USD"},
        "organizations": [
            {"id": oid, "name": oid.upper(), "kind": kind, "parent": parent, "currency": ccy, "plan": f"plan-{oid}",
             "tax_rate_pct": str(draw(st.sampled_from(["0", "19", "20", "7.5"])))}
            for oid, kind, parent, ccy in ORGS],
        "account_mappings": [{"provider": "AWS", "sub_account_id": sub, "customer": c} for c, sub in SUBS.items()],
        "plans": [draw(plans(oid, parent)) for oid, _, parent, _ in ORGS],
        "fx_rates": rates,
        "users": [{"username": "ana", "name": "Ana", "org": "root", "roles": ["admin"], "password_hash": HASH}],
    }
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        service, category, sku = draw(st.sampled_from(SERVICES))
        charge = draw(st.sampled_from(["Usage", "Usage", "Usage", "Purchase", "Credit", "Adjustment", "Tax"]))
        listed = draw(amount)
        billed = draw(amount)
        commitment = draw(st.sampled_from([None, None, "Used", "Unused", "purchase"]))
        rows.append(focus_row(
            sub=draw(st.sampled_from(list(SUBS.values()) + ["999999999999"])),
            currency=draw(st.sampled_from(["USD", "USD", "EUR"])),
            category=charge, service=service, service_category=category, sku=sku,
            list_cost=str(listed), contracted=str(draw(amount)), billed=str(billed), effective=str(draw(amount)),
            commitment_id="ri-1" if commitment and charge in ("Usage", "Purchase") else None,
            commitment_status=commitment if commitment in ("Used", "Unused") and charge == "Usage" else None,
        ))
    return config, rows


def engine_rows(rows: list[dict]) -> list[dict]:
    """The FOCUS rows as the pure model takes them: Decimals, None for empty, customer assigned."""
    customer_of = {sub: c for c, sub in SUBS.items()}
    out = []
    for r in rows:
        row = {k: (v if v != "" else None) for k, v in r.items()}
        for money in ("ListCost", "ContractedCost", "BilledCost", "EffectiveCost"):
            row[money] = Decimal(r[money])
        row["x_CustomerId"] = customer_of.get(r["SubAccountId"]) if r["ChargeCategory"] != "Tax" else None
        out.append(row)
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(scenario=scenarios())
def test_sql_billing_run_equals_the_pure_model(tmp_path_factory, scenario):
    config, rows = scenario
    con = make_store(tmp_path_factory.mktemp("prop"), config, rows)
    sql_result = run_billing(con, P)
    orgs, plan_map, fx = to_pricing(current_config(con))
    model = bill_period(P, orgs, plan_map, fx, engine_rows(rows))

    model_failed = any(i.kind in ("no_rule", "no_fx", "no_plan") for i in model.issues)
    assert sql_result.ok == (not model_failed)
    event("run ok" if sql_result.ok else "run failed (unpriceable rows)")
    if not sql_result.ok:
        return
    got = invoices_by_buyer(con, P)
    want = {
        inv.buyer: {"seller": inv.seller, "currency": inv.currency,
                    "lines": {line.description: line.amount for line in inv.lines},
                    "subtotal": inv.subtotal, "tax": inv.tax, "total": inv.total}
        for inv in model.invoices
    }
    assert got == want
