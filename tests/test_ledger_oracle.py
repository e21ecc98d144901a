"""The reference engine as a ledger-level oracle, on small hand-written cases.

pricing.assign decides each row's customer exactly as docs/pricing.md §1 says (tag rules, then
sub-account, then billing-account mappings; dated mappings cut by the charge day), the engine
records the basis each edge's price follows (§8), and on the same store the SQL run's ledger,
exceptions, invoices and margins equal the engine's (tests/billing_support.assert_run_matches_engine).
The random version of these checks is tests/test_billing_property.py.
"""
from __future__ import annotations

from datetime import date

import bcrypt
import pytest

from data.billing import run_billing
from pricing.assign import AccountMapping, assign_customer, charge_day
from pricing.engine import bill_period
from pricing.fx import FxTable
from pricing.hierarchy import Org
from pricing.money import D
from pricing.plans import Plan, Rule
from tests.billing_support import assert_run_matches_engine, engine_inputs, focus_row, make_store, model_rows, reimport

P = date(2026, 5, 1)
HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()

# ---------------------------------------------------------------------------------------------
# §1 assignment, pure

MAPPINGS = [
    AccountMapping("c-ba", provider="AWS", billing_account_id="100000000002"),
    AccountMapping("c-sub", provider="AWS", sub_account_id="111111111111"),
    AccountMapping("c-before", provider="AWS", sub_account_id="555555555555", valid_to=date(2026, 5, 15)),
    AccountMapping("c-after", provider="AWS", sub_account_id="555555555555", valid_from=date(2026, 5, 20)),
    AccountMapping("c-team", tag="team", value="blue"),
    AccountMapping("c-cust", tag="customer", value="contoso"),
    AccountMapping("c-june", tag="project", value="x", valid_from=date(2026, 6, 1)),
]


def arow(sub="111111111111", account="100000000001", provider="AWS", tags=None,
         start="2026-05-01T00:00:00Z", category="Usage"):
    return {"ProviderName": provider, "BillingAccountId": account, "SubAccountId": sub, "Tags": tags,
            "ChargePeriodStart": start, "ChargeCategory": category}


@pytest.mark.parametrize("row, customer", [
    # sub-account mapping
    (arow(), "c-sub"),
    # a tag rule beats the sub-account mapping
    (arow(tags='{"customer": "contoso"}'), "c-cust"),
    # two tag rules match: the first in the configuration wins (team before customer)
    (arow(tags='{"customer": "contoso", "team": "blue"}'), "c-team"),
    # a tag with another value, or another key, matches nothing: the mapping decides
    (arow(tags='{"customer": "fabrikam", "Team": "blue"}'), "c-sub"),
    # tag values are strings: a JSON number or true is not the text "5"/"true" (decision)
    (arow(tags='{"team": 5}'), "c-sub"),
    # a dated tag rule outside its dates
    (arow(tags='{"project": "x"}'), "c-sub"),
    # the sub-account's mapping names another provider: nothing matches
    (arow(provider="Microsoft"), None),
    # an unmapped sub-account of a mapped billing account falls back to the billing account
    (arow(sub="999999999999", account="100000000002"), "c-ba"),
    (arow(sub=None, account="100000000002"), "c-ba"),
    (arow(sub="999999999999"), None),
    # a mid-month move: to is exclusive, from inclusive; between the two, the billing account
    (arow(sub="555555555555", start="2026-05-14T23:59:59Z"), "c-before"),
    (arow(sub="555555555555", start="2026-05-15T00:00:00Z"), None),
    (arow(sub="555555555555", account="100000000002", start="2026-05-17T00:00:00Z"), "c-ba"),
    (arow(sub="555555555555", start="2026-05-20T00:00:00Z"), "c-after"),
    # the charge day is the UTC date (landing stores naive UTC): 23:30 at −02:00 is the 15th
    (arow(sub="555555555555", start="2026-05-14T23:30:00-02:00"), None),
    (arow(sub="555555555555", start="2026-05-15T01:00:00+02:00"), "c-before"),
    # provider tax is the root's own
    (arow(category="Tax"), None),
])
def test_assign_customer(row, customer):
    assert assign_customer(row, MAPPINGS) == customer


def test_charge_day_forms():
    assert charge_day("2026-05-31T22:00:00-03:00") == date(2026, 6, 1)
    assert charge_day("2026-05-31T23:00:00Z") == date(2026, 5, 31)
    assert charge_day(date(2026, 5, 3)) == date(2026, 5, 3)
    assert charge_day(None) is None


# ---------------------------------------------------------------------------------------------
# §8 basis codes, pure

def test_basis_codes_follow_the_edge_that_decides():
    orgs = {"dist": Org("dist", "Distributor", "distributor", None, "USD"),
            "res": Org("res", "Reseller", "reseller", "dist", "USD", "p-res"),
            "cust": Org("cust", "Customer", "customer", "res", "USD", "p-cust")}
    plans = {
        # the distributor shares 25 % of commitment savings and passes credits on
        "p-res": Plan("p-res", "dist", (Rule((), "list", discount_pct=D("10")),), credits="pass_through",
                      commitments="share", commitment_share_pct=D("25")),
        # the reseller prices cost-plus: its code is the distributor's
        "p-cust": Plan("p-cust", "res", (Rule((), "cost", markup_pct=D("10")),), credits="pass_through",
                       commitments="retain"),
    }

    def r(category="Usage", status=None, commitment=None, sku="A"):
        return {"ProviderName": "AWS", "BillingAccountId": "1", "SubAccountId": "2", "InvoiceId": "I",
                "ServiceCategory": "Compute", "ServiceName": "EC2", "SkuId": sku, "RegionId": None,
                "ChargeCategory": category, "ChargeClass": None, "CommitmentDiscountStatus": status,
                "CommitmentDiscountId": commitment, "BillingCurrency": "USD", "ListCost": D("100"),
                "ContractedCost": D("90"), "BilledCost": D("80"), "EffectiveCost": D("60"),
                "x_CustomerId": "cust"}

    rows = [r(sku="plain"), r(status="Used", commitment="ri", sku="used"),
            r(status="Unused", commitment="ri", sku="unused"), r("Purchase", commitment="ri", sku="purchase"),
            r("Credit", sku="credit"), r("Adjustment", sku="adjustment")]
    result = bill_period(P, orgs, plans, FxTable({}), rows)
    got = {(e.SkuId, e.x_Depth): (e.x_BasisCode, e.x_ShareFrac, e.x_BasisAmount) for e in result.ledger}
    assert got == {
        # sku          depth  code  share     basis amount
        ("plain", 1): ("L", None, D("100")),
        ("plain", 2): ("L", None, D("90")),          # cost-plus: 100 × 0.9 = 90, follows ListCost
        ("used", 1): ("S", D("0.25"), D("90")),      # 100 − 0.25 × (100 − 60)
        ("used", 2): ("S", D("0.25"), D("81")),      # its cost 90 × 0.9 = 81
        ("unused", 1): ("Z", None, D("0")),          # share keeps unused commitments
        ("unused", 2): ("Z", None, D("0")),
        ("purchase", 1): ("E", None, D("60")),       # amortised into the usage it covers
        ("purchase", 2): ("E", None, D("54")),
        ("credit", 1): ("B", None, None),            # passed on at the provider's charge
        ("credit", 2): ("B", None, None),
        ("adjustment", 1): ("B", None, None),
        ("adjustment", 2): ("B", None, None),
    }


# ---------------------------------------------------------------------------------------------
# SQL run = engine, on the store

def config(mappings: list[dict], *, cust_plan: dict | None = None) -> dict:
    """A 2-tier channel (root → res → c1, c2) and a 1-tier customer (root → c3), all USD."""
    plan = {"rules": [{"basis": "list", "discount_pct": "5"}], "credits": "pass_through",
            "commitments": "share", "commitment_share_pct": "50"}
    return {
        "root": {"id": "root", "name": "Root", "kind": "distributor", "currency": "USD"},
        "organizations": [
            {"id": "res", "name": "Res", "kind": "reseller", "parent": "root", "currency": "USD", "plan": "p-res"},
            {"id": "c1", "name": "C1", "kind": "customer", "parent": "res", "currency": "USD", "plan": "p-c1"},
            {"id": "c2", "name": "C2", "kind": "customer", "parent": "res", "currency": "USD", "plan": "p-c2"},
            {"id": "c3", "name": "C3", "kind": "customer", "parent": "root", "currency": "USD", "plan": "p-c3"},
        ],
        "account_mappings": mappings,
        "plans": [
            {"id": "p-res", "owner": "root", "rules": [{"basis": "list", "discount_pct": "10"}],
             "credits": "pass_through", "commitments": "retain"},
            {"id": "p-c1", "owner": "res", **(cust_plan or plan)},
            {"id": "p-c2", "owner": "res", "rules": [{"basis": "cost", "markup_pct": "20"}],
             "credits": "retain"},
            {"id": "p-c3", "owner": "root", **plan},
        ],
        "fx_rates": [],
        "users": [{"username": "ana", "name": "Ana", "org": "root", "roles": ["admin"], "password_hash": HASH}],
    }


MOVE = [  # sub-account 555… moves from c1 to c2 on the 15th; tag rules; a billing-account mapping
    {"provider": "AWS", "sub_account_id": "111111111111", "customer": "c1"},
    {"provider": "AWS", "sub_account_id": "555555555555", "customer": "c1", "to": "2026-05-15"},
    {"provider": "AWS", "sub_account_id": "555555555555", "customer": "c2", "from": "2026-05-15"},
    {"tag": "customer", "value": "c3", "customer": "c3"},
    {"tag": "team", "value": "blue", "customer": "c2", "from": "2026-05-10"},
    {"provider": "AWS", "billing_account_id": "100000000002", "customer": "c3"},
]

ROWS = [
    # sub 555…: the 14th is c1's, the 15th and 31st c2's; one pricing key, split in two groups
    focus_row(sub="555555555555", list_cost="100", billed="80", day=14),
    focus_row(sub="555555555555", list_cost="200", billed="160", day=15),
    focus_row(sub="555555555555", list_cost="10", billed="8", day=31),
    # a tag rule takes a row of c1's sub-account to c3
    focus_row(sub="111111111111", list_cost="50", billed="40", tags='{"customer":"c3"}', day=3),
    focus_row(sub="111111111111", list_cost="60", billed="45", day=3),
    # the dated tag rule: before the 10th the sub-account mapping decides, from the 10th the tag
    focus_row(sub="111111111111", list_cost="30", billed="20", tags='{"team":"blue"}', day=9),
    focus_row(sub="111111111111", list_cost="40", billed="30", tags='{"team":"blue"}', day=10),
    # the billing-account mapping catches an unmapped sub-account of its account
    focus_row(account="100000000002", sub="999999999999", list_cost="70", billed="50", day=2),
    # nobody's: an unmapped sub-account of another billing account
    focus_row(sub="999999999999", list_cost="5", billed="4", day=2),
    # commitments and credits, so the basis codes differ per edge
    focus_row(sub="555555555555", list_cost="100", billed="0", effective="60", commitment_id="ri-1",
              commitment_status="Used", sku="SKU-RI", day=20),
    focus_row(sub="111111111111", category="Credit", list_cost="0", billed="-12", sku=None, day=5),
    focus_row(category="Tax", sub="111111111111", list_cost="0", billed="3", sku=None, day=5),
]


@pytest.mark.parametrize("late", [False, True], ids=["mappings-first", "mappings-after-rows"])
def test_mid_month_move_and_tag_rules_agree(tmp_path, late):
    if late:    # rows landed under plain mappings: the run must regroup them by tag and day
        con = make_store(tmp_path, config(MOVE[:1]), ROWS)
        reimport(con, config(MOVE))
    else:
        con = make_store(tmp_path, config(MOVE), ROWS)
    summary = run_billing(con, P)
    orgs, plans, fx, mappings = engine_inputs(con)
    model = bill_period(P, orgs, plans, fx, model_rows(ROWS), mappings)
    assert assert_run_matches_engine(con, P, summary, model, ["root", "res"]) == "ok"

    depth1 = {(e.x_CustomerId, e.SubAccountId, e.SkuId, e.ChargeCategory): e.BilledCost
              for e in model.ledger if e.x_Depth == 1}
    assert depth1 == {
        ("c1", "555555555555", "SKU-1", "Usage"): D("80"),           # the 14th
        ("c2", "555555555555", "SKU-1", "Usage"): D("168"),          # 160 + 8: the 15th and 31st
        ("c2", "555555555555", "SKU-RI", "Usage"): D("0"),
        ("c3", "111111111111", "SKU-1", "Usage"): D("40"),           # tag customer=c3
        ("c1", "111111111111", "SKU-1", "Usage"): D("65"),           # 45 + 20 (team=blue before the 10th)
        ("c2", "111111111111", "SKU-1", "Usage"): D("30"),           # team=blue from the 10th
        ("c1", "111111111111", None, "Credit"): D("-12"),
        ("c3", "999999999999", "SKU-1", "Usage"): D("50"),           # billing account 100000000002
    }
    assert [(i.kind, i.SubAccountId, i.BilledCost) for i in model.issues] == [("unassigned", "999999999999", D("4"))]
    codes = {(e.x_CustomerId, e.SkuId, e.ChargeCategory, e.x_Depth): (e.x_BasisCode, e.x_ShareFrac)
             for e in model.ledger if e.SubAccountId == "555555555555" or e.ChargeCategory == "Credit"}
    assert codes == {
        ("c1", "SKU-1", "Usage", 1): ("L", None), ("c1", "SKU-1", "Usage", 2): ("L", None),
        ("c2", "SKU-1", "Usage", 1): ("L", None), ("c2", "SKU-1", "Usage", 2): ("L", None),  # cost-plus
        ("c2", "SKU-RI", "Usage", 1): ("L", None),        # res retains the saving: list
        ("c2", "SKU-RI", "Usage", 2): ("L", None),        # c2 cost-plus on res's list price
        ("c1", None, "Credit", 1): ("B", None), ("c1", None, "Credit", 2): ("B", None),
    }


def test_shared_commitment_saving_codes_agree(tmp_path):
    rows = [focus_row(sub="111111111111", list_cost="100", billed="0", effective="60", commitment_id="ri-1",
                      commitment_status="Used", day=4),
            focus_row(sub="111111111111", list_cost="0", billed="7", effective="7", commitment_id="ri-1",
                      commitment_status="Unused", sku="SKU-W", day=4)]
    con = make_store(tmp_path, config(MOVE[:1]), rows)
    summary = run_billing(con, P)
    orgs, plans, fx, mappings = engine_inputs(con)
    model = bill_period(P, orgs, plans, fx, model_rows(rows), mappings)
    assert assert_run_matches_engine(con, P, summary, model, ["root", "res"]) == "ok"
    got = {(e.SkuId, e.x_Depth): (e.x_BasisCode, e.x_ShareFrac, e.x_Price) for e in model.ledger}
    assert got == {
        ("SKU-1", 1): ("L", None, D("90")),           # res retains: 100 × 0.9
        ("SKU-1", 2): ("S", D("0.5"), D("76")),       # c1 shares 50 %: (100 − 0.5 × 40) × 0.95
        ("SKU-W", 1): ("Z", None, D("0")),            # unused, retained by root
        ("SKU-W", 2): ("Z", None, D("0")),
    }


def test_no_rule_for_every_group_of_a_buyer(tmp_path):
    """A tiered buyer none of whose groups has a rule: the run fails with no_rule (it used to
    crash: fct_tier_subtotals summed the NULL prices of unruled groups)."""
    tiered = {"rules": [{"match": {"ServiceName": "AmazonS3"}, "basis": "list"}],
              "tiers": {"mode": "volume", "bands": [{"from": "0", "discount_pct": "0"},
                                                    {"from": "1000", "discount_pct": "5"}]}}
    rows = [focus_row(sub="111111111111", list_cost="100", billed="80")]          # EC2: no rule for c1
    con = make_store(tmp_path, config(MOVE[:1], cust_plan=tiered), rows)
    orgs, plans, fx, mappings = engine_inputs(con)
    model = bill_period(P, orgs, plans, fx, model_rows(rows), mappings)
    assert [(i.kind, i.buyer) for i in model.issues] == [("no_rule", "c1")]
    summary = run_billing(con, P)
    assert assert_run_matches_engine(con, P, summary, model, ["root", "res"]) == "failed"
