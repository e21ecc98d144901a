"""Why this price (issue #12, item 3): the terms of a tiered, FX-converted line, hand-computed, read
from the run's stored decisions (queries/reports/explain.py), seen by each role, and refused
for anything the user may not see."""
from __future__ import annotations

import copy
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from data.billing import run_billing
from queries import scope
from queries.reports.explain import NOT_THEIRS_GROUP, NOT_THEIRS_LINE, explain_price, price_groups
from tests.billing_support import focus_row, make_store, reimport
from tests.test_billing import HASH, two_tier

P = date(2026, 5, 1)
D = Decimal
TEN = D("1e-10")

# northwind → msp-one (USD, list − 10 %) → contoso (EUR at 0.92 USD→EUR, graduated tiers).
# contoso's plan: EC2 at list − 5 %, everything else at list − 3 %; tiers 0: 0 %, 10,000: 2 %.
TIERS = {"mode": "graduated", "bands": [{"from": "0", "discount_pct": "0"},
                                        {"from": "10000", "discount_pct": "2"}]}
CONTOSO_RULES = [{"match": {"ServiceName": "AmazonEC2"}, "basis": "list", "discount_pct": "5"},
                 {"basis": "list", "discount_pct": "3"}]
ROWS = [
    focus_row(list_cost="6000.00", billed="5100.00"),
    focus_row(list_cost="3000.00", billed="2550.00", day=2),
    focus_row(list_cost="3000.00", billed="2600.00", service="AmazonS3", service_category="Storage",
              sku="SKU-2"),
    focus_row(sub="200000000002", list_cost="100.00", billed="80.00"),          # fabrikam's
]


def config() -> dict:
    cfg = two_tier(customer_rules=CONTOSO_RULES, customer_ccy="EUR",
                   customer_plan_extra={"tiers": TIERS, "name": "MSP standard"},
                   fx=[{"period": "2026-05", "from": "USD", "to": "EUR", "rate": "0.92"}])
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam Inc", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan-usd"})
    cfg["plans"].append({"id": "msp-plan-usd", "owner": "msp-one", "rules": [{"basis": "list"}]})
    cfg["account_mappings"].append({"provider": "AWS", "sub_account_id": "200000000002",
                                    "customer": "fabrikam"})
    cfg["users"] += [
        {"username": "camille", "name": "Camille", "org": "contoso", "roles": ["customer"],
         "password_hash": HASH},
        {"username": "frank", "name": "Frank", "org": "fabrikam", "roles": ["customer"],
         "password_hash": HASH},
        {"username": "amy", "name": "Amy", "org": "msp-one", "roles": ["account_manager"],
         "customers": ["contoso"], "password_hash": HASH},
        {"username": "lee", "name": "Lee", "org": "northwind", "roles": ["leader"], "password_hash": HASH},
    ]
    return cfg


@pytest.fixture
def con(tmp_path):
    c = make_store(tmp_path, config(), ROWS)
    assert run_billing(c, P).ok
    return c


def who(con, username):
    return scope.scope_for_user(con, username)


def q12(x: Decimal) -> Decimal:
    return x.quantize(D("1e-12"), rounding=ROUND_HALF_UP)


def q10(x: Decimal) -> Decimal:
    return x.quantize(TEN, rounding=ROUND_HALF_UP)


# Hand-worked (docs/pricing.md §3–§6), in USD then EUR:
#   EC2 (rule 0): list 9,000.00 × 0.95 = 8,550.00;  S3 (rule 1): list 3,000.00 × 0.97 = 2,910.00
#   tier subtotal S = 8,550.00 × 0.92 + 2,910.00 × 0.92 = 7,866.00 + 2,677.20 = 10,543.20 EUR
#   graduated: D = (10,543.20 − 10,000) × 2 % = 10.864; t = (S − D) / S = 10,532.336 / 10,543.20
T = q12(D("10532.336") / D("10543.20"))
EC2_PRICE = q10(D("8550.00") * T)
EC2_BUYER = q10(EC2_PRICE * D("0.92"))


def test_hand_computed_terms_of_a_tiered_fx_converted_line(con):
    assert T == D("0.998969572805")
    out = explain_price(con, who(con, "camille"), "contoso", "2026-05",
                        provider="AWS", service="AmazonEC2")
    assert out["customer"] == "contoso" and out["seller"] == "msp-one" and out["currency"] == "EUR"
    assert out["plan"]["id"] == "msp-plan" and out["plan"]["name"] == "MSP standard"
    assert out["plan"]["source"] == "run"
    assert out["plan"]["tiers"] == {"mode": "graduated", "bands": [
        {"from": D("0"), "discount_pct": D("0")}, {"from": D("10000"), "discount_pct": D("2")}]}
    [term] = out["terms"]                          # the EC2 line: one group, one decision
    assert term["rows"] == 2
    assert term["rule_no"] == 0
    assert term["rule"] == {"match": {"ServiceName": "AmazonEC2"}, "basis": "list", "discount_pct": D("5")}
    assert term["rule_text"] == "ServiceName = AmazonEC2"
    assert term["basis"] == "list" and term["basis_code"] == "L"
    assert term["basis_case"].startswith("list price (ListCost)")
    assert term["factor"] == D("0.95")
    assert term["adjustment"] == {"kind": "discount", "pct": D("5"), "text": "5 % discount"}
    assert term["price_pre_tier"] == D("8550.00")
    assert term["tier_factor"] == T
    assert term["tier_discount_pct"] == D("0.1030427195")            # (1 − t) × 100
    assert term["price"] == EC2_PRICE == D("8541.1898474828")         # 8,550 × t, USD
    assert term["fx_rate"] == D("0.92") and term["billing_currency"] == "USD"
    assert term["price_buyer"] == EC2_BUYER == D("7857.8946596842")   # × 0.92, EUR
    assert out["total_rounded"] == D("7857.89")
    # A customer's user never sees the amount its price was computed from (list prices).
    assert term["basis_amount"] is None


def test_the_invoice_line_is_the_sum_the_terms_explain(con):
    out = explain_price(con, who(con, "camille"), "contoso", P, provider="AWS", service="AmazonEC2")
    line = scope.customer_summary(con, who(con, "camille"), "contoso", P)["lines"]
    assert {"description": "AWS AmazonEC2", "amount": out["total_rounded"]} in line


def test_one_group_by_id_and_the_other_rule(con):
    groups = price_groups(con, who(con, "camille"), "contoso", P)
    assert [(g["service"], g["currency"]) for g in groups] == [("AmazonEC2", "EUR"), ("AmazonS3", "EUR")]
    s3 = next(g for g in groups if g["service"] == "AmazonS3")
    out = explain_price(con, who(con, "camille"), "contoso", P, group_id=str(s3["group_id"]))
    [term] = out["terms"]
    assert term["rule_no"] == 1 and term["rule_text"] == "every charge (empty match)"
    assert term["adjustment"]["text"] == "3 % discount"
    assert term["price_buyer"] == q10(q10(D("2910.00") * T) * D("0.92")) == s3["price"]


def test_the_seller_sees_the_basis_amount_and_the_same_terms(con):
    for user in ("mo", "amy"):                 # msp-one's admin and contoso's account manager
        out = explain_price(con, who(con, user), "contoso", P, provider="AWS", service="AmazonEC2")
        [term] = out["terms"]
        assert term["basis_amount"] == D("9000.00")        # ListCost: usage of its subtree
        assert term["price_buyer"] == EC2_BUYER


def test_a_reseller_sees_its_own_purchase_but_not_its_sellers_cost(con):
    out = explain_price(con, who(con, "mo"), "msp-one", P, provider="AWS", service="AmazonEC2")
    [term] = out["terms"]
    assert out["seller"] == "northwind" and out["plan"]["id"] == "dist-plan"
    assert term["factor"] == D("0.9") and term["tier_factor"] == D("1")
    # msp-one buys contoso's EC2 and fabrikam's on one decision: one term of two groups
    assert len(term["groups"]) == 2 and term["rows"] == 3
    assert term["basis_amount"] == D("9100.00")             # list prices, not northwind's cost
    assert "x_Cost" not in str(out) and "5100" not in str(out) and "7650" not in str(out)


def test_the_rule_is_the_runs_even_after_the_plan_changed(con):
    changed = copy.deepcopy(config())     # config() shares CONTOSO_RULES: never change it
    changed["plans"][1]["rules"][0]["discount_pct"] = "7"
    changed["plans"][1]["rules"][0]["match"] = {"ServiceName": "AmazonEC2", "RegionId": "us-east-1"}
    reimport(con, changed)
    out = explain_price(con, who(con, "camille"), "contoso", P, provider="AWS", service="AmazonEC2")
    [term] = out["terms"]
    assert out["plan"]["source"] == "run"
    assert term["rule"]["match"] == {"ServiceName": "AmazonEC2"} and term["rule"]["discount_pct"] == D("5")
    assert term["factor"] == D("0.95")


def test_026_keeps_each_versions_plans_one_row_each(con):
    """Migration 026: every configuration version's plans, one row a plan in document order,
    equal to what its document holds: filled at import, and from the documents for versions
    stored before the migration; the explanation reads the run's version from it."""
    from data.store import migrate
    changed = copy.deepcopy(config())     # config() shares CONTOSO_RULES: never change it
    changed["plans"][1]["rules"][0]["discount_pct"] = "7"
    reimport(con, changed)
    check = """SELECT d.version, count(*), bool_and(p.definition::VARCHAR
                      = json_extract(d.document, '$.plans[' || p.x_PlanNo || ']')::VARCHAR)
               FROM cfg_documents d JOIN cfg_document_plans p USING (version)
               GROUP BY d.version ORDER BY d.version"""
    plans = len(config()["plans"])
    assert con.execute(check).fetchall() == [(1, plans, True), (2, plans, True)]
    con.execute("DROP TABLE cfg_document_plans")                   # as a store before 026
    con.execute("DELETE FROM schema_migrations WHERE version = 26")
    assert migrate(con) == [26]
    assert con.execute(check).fetchall() == [(1, plans, True), (2, plans, True)]
    out = explain_price(con, who(con, "camille"), "contoso", P, provider="AWS", service="AmazonEC2")
    assert out["plan"]["source"] == "run" and out["plan"]["version"] == 1
    assert [t["factor"] for t in out["terms"]] == [D("0.95")]


@pytest.mark.parametrize("user, customer, kw, refusal", [
    ("camille", "fabrikam", {"provider": "AWS", "service": "AmazonEC2"}, "You do not have access"),
    ("frank", "contoso", {"provider": "AWS", "service": "AmazonEC2"}, "You do not have access"),
    ("lee", "contoso", {"provider": "AWS", "service": "AmazonEC2"}, "You do not have access"),
    ("camille", "contoso", {"provider": "AWS", "service": "NoSuchService"}, NOT_THEIRS_LINE),
    ("camille", "contoso", {"group_id": "999999"}, NOT_THEIRS_GROUP),
    ("camille", "contoso", {"group_id": "1; drop table fct_prices"}, NOT_THEIRS_GROUP),
])
def test_forged_customer_group_or_line_is_refused(con, user, customer, kw, refusal):
    with pytest.raises(scope.ScopeError) as exc:
        explain_price(con, who(con, user), customer, P, **kw)
    assert str(exc.value).startswith(refusal)


def test_another_customers_group_is_refused(con):
    theirs = price_groups(con, who(con, "frank"), "fabrikam", P)
    assert len(theirs) == 1
    mine = {g["group_id"] for g in price_groups(con, who(con, "camille"), "contoso", P)}
    assert theirs[0]["group_id"] not in mine
    with pytest.raises(scope.ScopeError, match="not one of this customer's"):
        explain_price(con, who(con, "camille"), "contoso", P, group_id=theirs[0]["group_id"])


def test_unbilled_period_and_no_selection(con):
    with pytest.raises(scope.ScopeError, match="has not been billed"):
        explain_price(con, who(con, "camille"), "contoso", "2026-04", provider="AWS", service="AmazonEC2")
    with pytest.raises(ValueError, match="Pick a pricing group"):
        explain_price(con, who(con, "camille"), "contoso", P)


def test_cost_plus_basis_is_never_shown_to_the_customer(tmp_path):
    cfg = config()
    cfg["plans"][1]["rules"] = [{"basis": "cost", "markup_pct": "12"}]
    cfg["plans"][1].pop("tiers")
    con = make_store(tmp_path, cfg, copy.deepcopy(ROWS))
    assert run_billing(con, P).ok
    mine = explain_price(con, who(con, "camille"), "contoso", P, provider="AWS", service="AmazonS3")
    [term] = mine["terms"]
    assert term["basis"] == "cost" and term["basis_amount"] is None
    assert term["adjustment"]["text"] == "12 % markup" and term["basis_case"].startswith("cost-plus")
    seller = explain_price(con, who(con, "mo"), "contoso", P, provider="AWS", service="AmazonS3")
    assert seller["terms"][0]["basis_amount"] == D("2700.00")   # msp-one's own cost: 3,000 × 0.90


# --- the page (AppTest), on the shared small demo store -------------------------------------------

@pytest.fixture(scope="module")
def ui():
    from tests.browser_support import restore_env, set_env, ui_env, ui_store

    s = ui_store()
    old = set_env(ui_env(s.apptest_db))
    yield s
    restore_env(old)


PAGE = "pages/10_Why_this_price.py"


def _demo_groups(ui, username, customer):
    from data.store import connect

    con = connect(ui.apptest_db)
    try:
        return price_groups(con, scope.scope_for_user(con, username), customer, ui.periods[-1])
    finally:
        con.close()


@pytest.mark.parametrize("username, customer", [
    ("contoso-user", None), ("msp-admin", "contoso"), ("msp-am", "fabrikam"), ("dist-admin", None),
    ("dist-leader", None), ("rheinwerk-user", None),
])
def test_page_explains_a_charge_for_every_role(ui, username, customer):
    from tests.test_pages_apptest import errors, run

    at = run(PAGE, username, query={"customer": customer} if customer else None)
    assert not at.exception and errors(at) == [], errors(at)
    steps = at.dataframe[0].value
    assert list(steps["Step"]) == ["Rule that matched", "Basis", "Discount or markup",
                                   "Tier discount this month", "Currency"]
    assert at.metric[0].label == "Your price for this charge"


def test_customer_sees_its_terms_never_a_basis_amount(ui):
    from tests.browser_support import customer_names_except
    from tests.test_pages_apptest import errors, run, text_of

    at = run(PAGE, "contoso-user")
    assert errors(at) == []
    assert at.metric[0].value.startswith("EUR ")                    # contoso is invoiced in EUR
    for frame in at.dataframe:
        assert frame.value.loc[frame.value["Step"] == "Basis", "Amount"].tolist() == ["not shown"]
    page = text_of(at)
    assert not [n for n in customer_names_except("contoso") if n in page]


def test_the_costs_pages_link_by_invoice_line(ui):
    from tests.test_pages_apptest import errors, run

    group = _demo_groups(ui, "contoso-user", "contoso")[0]
    at = run(PAGE, "contoso-user", query={"customer": "contoso", "period": f"{ui.periods[-1]:%Y-%m}",
                                          "provider": group["provider"], "service": group["service"]})
    assert errors(at) == [] and len(at.dataframe) >= 1
    assert at.metric[0].value.startswith("EUR ")
    at.button(key="why_other_charge").click().run()                 # back to the list of charges
    assert errors(at) == [] and "provider" not in at.query_params
    assert at.selectbox(key=f"why_group_contoso_{ui.periods[-1]:%Y%m}").value == group["group_id"]


@pytest.mark.parametrize("query, refusal", [
    ({"customer": "fabrikam"}, "NOT_YOURS_CUSTOMER"),
    ({"group": "FABRIKAM"}, NOT_THEIRS_GROUP),
    ({"group": "99999999999"}, NOT_THEIRS_GROUP),
    ({"group": "1 or 1=1"}, NOT_THEIRS_GROUP),
    ({"provider": "AWS", "service": "NoSuchService"}, NOT_THEIRS_LINE),
    ({"period": "2099-01"}, "NOT_YOURS_PERIOD"),
])
def test_forged_values_in_the_url_are_a_sentence_and_no_data(ui, query, refusal):
    from components import pickers
    from tests.test_pages_apptest import errors, run, shows_no_data, text_of

    if query.get("group") == "FABRIKAM":
        query = {"group": str(_demo_groups(ui, "fabrikam-user", "fabrikam")[0]["group_id"])}
    at = run(PAGE, "contoso-user", query=query)
    assert errors(at) == [getattr(pickers, refusal, refusal)]
    shows_no_data(at)
    assert "Fabrikam" not in text_of(at)
