"""Property test: the SQL billing run and the pure model (pricing.engine) agree, ledger row by row.

Hypothesis draws a random 2-tier channel with 1-tier customers mixed in, random plans (rules of
every basis, discounts and markups, tiers, fees, credit and commitment policies), FX rates,
account mappings (tag rules, sub-account and billing-account mappings, some effective-dated so an
account changes customer mid-month, sometimes imported after the rows so the run regroups them)
and FOCUS rows (every charge category, commitments, negative amounts, tags, charge days,
unassigned accounts). Both engines assign and price the same rows; they must agree exactly on:
- the ledger: every (customer, pricing key, edge) with its treatment, plan, rule, basis, basis
  amount, factor, cost, prices before and after tiers, FX rate, buyer price, seller cost and
  basis code (docs/pricing.md §1–§8);
- the exceptions (unassigned, no_rule, no_fx) with their rows and BilledCost;
- every invoice line, subtotal, tax and total, and each seller's margin report (§7, §9).
`make test` runs 30 examples; the `slow` variant runs 300:
`.venv/bin/python -m pytest -m slow tests/test_billing_property.py`.
"""
from __future__ import annotations

from datetime import date, timedelta

import bcrypt
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data.billing import run_billing
from pricing.engine import bill_period
from tests.billing_support import assert_run_matches_engine, engine_inputs, focus_row, make_store, model_rows, reimport

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

    # Mostly a catch-all first rule; without it some rows have no rule (a no_rule exception).
    catch_all = draw(st.integers(min_value=0, max_value=19)) > 0
    rules = [{"basis": draw(st.sampled_from(["list", "contracted", "effective", "cost"])), **adjustment()}] if catch_all else []
    used_fields = draw(st.lists(st.sampled_from(["ServiceCategory", "ServiceName", "SkuId"]), unique=True,
                                min_size=0 if catch_all else 1, max_size=3))
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


MOVER = "555555555555"                    # a sub-account that may change customer mid-month
PAYERS = ["100000000001", "100000000001", "100000000002"]
SHARED_PAYER = "100000000002"             # its rows no sub-account mapping claims go to one customer
TAG_RULES = [  # tag, value, customer: distinct (tag, value), so any subset is a valid configuration
    ("customer", "c3", "c3"), ("customer", "c1", "c1"), ("team", "blue", "c2"), ("team", "red", "c4")]
TAGS = [None, None, '{"customer":"c3"}', '{"team":"blue"}', '{"customer":"c1","team":"red"}',
        '{"customer":"zz"}', '{"team":"blue","other":"x"}', '{"customer":"c3","team":"blue"}']
CUSTOMERS = [oid for oid, kind, _, _ in ORGS if kind == "customer"]


def _day(n: int) -> str:
    return (P + timedelta(days=n - 1)).isoformat()


@st.composite
def dates(draw) -> dict:
    """Optional from/to days inside the period (to > from), as account_mappings spell them."""
    out = {}
    lo = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=31)))
    hi = draw(st.one_of(st.none(), st.integers(min_value=(lo or 1) + 1, max_value=32)))
    if lo is not None:
        out["from"] = _day(lo)
    if hi is not None:
        out["to"] = _day(hi)
    return out


@st.composite
def mappings(draw) -> list[dict]:
    """Sub-account mappings of SUBS, plus maybe: tag rules (some dated), a mid-month move of
    MOVER (a gap between the two halves falls through to the billing account), and a (maybe
    dated) billing-account mapping of SHARED_PAYER; in a random order."""
    out = [{"provider": "AWS", "sub_account_id": sub, "customer": c} for c, sub in SUBS.items()]
    for tag, value, customer in draw(st.lists(st.sampled_from(TAG_RULES), unique=True, max_size=3)):
        out.append({"tag": tag, "value": value, "customer": customer,
                    **(draw(dates()) if draw(st.integers(0, 3)) == 0 else {})})
    if draw(st.booleans()):
        move = draw(st.integers(min_value=2, max_value=31))
        gap = draw(st.sampled_from([0, 0, 0, 1, 5]))
        before, after = draw(st.sampled_from(CUSTOMERS)), draw(st.sampled_from(CUSTOMERS))
        out.append({"provider": "AWS", "sub_account_id": MOVER, "customer": before, "to": _day(move)})
        if move + gap <= 31:
            out.append({"provider": "AWS", "sub_account_id": MOVER, "customer": after, "from": _day(move + gap)})
    if draw(st.booleans()):
        out.append({"provider": "AWS", "billing_account_id": SHARED_PAYER,
                    "customer": draw(st.sampled_from(CUSTOMERS)),
                    **(draw(dates()) if draw(st.booleans()) else {})})
    return draw(st.permutations(out))


@st.composite
def scenarios(draw) -> tuple[dict, list[dict], bool]:
    """(configuration, FOCUS rows, whether the mappings are imported only after the rows)."""
    rates = []
    for a in CCYS:
        for b in CCYS:
            if a != b and ((a, b) != ("EUR", "GBP") or draw(st.integers(min_value=0, max_value=7)) > 0):  # else no_fx
                rates.append({"period": "2026-05", "from": a, "to": b,
                              "rate": str(draw(st.decimals(min_value="0.5", max_value="1.6", places=4)))})
    config = {
        "root": {"id": "root", "name": "Root Distribution", "kind": "distributor", "currency": "USD"},
        "organizations": [
            {"id": oid, "name": oid.upper(), "kind": kind, "parent": parent, "currency": ccy, "plan": f"plan-{oid}",
             "tax_rate_pct": str(draw(st.sampled_from(["0", "19", "20", "7.5"])))}
            for oid, kind, parent, ccy in ORGS],
        "account_mappings": draw(mappings()),
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
            provider=draw(st.sampled_from(["AWS"] * 7 + ["Microsoft"])),
            account=draw(st.sampled_from(PAYERS)),
            sub=draw(st.sampled_from(list(SUBS.values()) + [MOVER, MOVER, "999999999999", None])),
            currency=draw(st.sampled_from(["USD", "USD", "EUR"])),
            category=charge, service=service, service_category=category, sku=sku,
            list_cost=str(listed), contracted=str(draw(amount)), billed=str(billed), effective=str(draw(amount)),
            commitment_id="ri-1" if commitment and charge in ("Usage", "Purchase") else None,
            commitment_status=commitment if commitment in ("Used", "Unused") and charge == "Usage" else None,
            tags=draw(st.sampled_from(TAGS)), day=draw(st.integers(min_value=1, max_value=31)),
        ))
    return config, rows, draw(st.booleans())


def check_scenario(tmp_path, scenario) -> None:
    config, rows, late_mappings = scenario
    if late_mappings:
        # Ingest under the plain sub-account mappings, then import the drawn ones: the run must
        # regroup the rows for the new tag keys and day cuts (data.groups.ensure_groups).
        plain = {**config, "account_mappings": [{"provider": "AWS", "sub_account_id": sub, "customer": c}
                                                for c, sub in SUBS.items()]}
        con = make_store(tmp_path, plain, rows)
        reimport(con, config)
    else:
        con = make_store(tmp_path, config, rows)
    try:
        orgs, plan_map, fx, account_mappings = engine_inputs(con)
        model = bill_period(P, orgs, plan_map, fx, model_rows(rows), account_mappings)
        summary = run_billing(con, P)
        sellers = sorted(o.id for o in orgs.values() if o.kind != "customer")
        outcome = assert_run_matches_engine(con, P, summary, model, sellers)
    finally:
        con.close()
    event(f"run {outcome}")
    event("tag rules" if any("tag" in m for m in config["account_mappings"]) else "no tag rules")
    event("dated mappings" if any("from" in m or "to" in m for m in config["account_mappings"])
          else "no dated mappings")


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=30, **COMMON)
@given(scenario=scenarios())
def test_sql_billing_run_equals_the_pure_model(tmp_path_factory, scenario):
    check_scenario(tmp_path_factory.mktemp("prop"), scenario)


@pytest.mark.slow
@settings(max_examples=300, **COMMON)
@given(scenario=scenarios())
def test_sql_billing_run_equals_the_pure_model_at_length(tmp_path_factory, scenario):
    check_scenario(tmp_path_factory.mktemp("prop"), scenario)
