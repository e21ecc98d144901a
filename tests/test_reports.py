"""The numbers the scoped reads return: portal headline, breakdowns, row prices, invoice and
margin reports, reconciliation. Same hand-built store as tests/test_scope.py (its docstring and
comments carry the hand computation)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from queries import scope
from queries.scope import ScopeError
from tests.test_scope import APRIL, P, build_store, invoice_id

D = Decimal


@pytest.fixture(scope="module")
def con():
    c = build_store()
    yield c
    c.close()


def who(con, username: str) -> scope.Scope:
    return scope.scope_for_user(con, username)


def stored_lines(con, name: str) -> list[tuple[str, Decimal]]:
    return con.execute("SELECT description, amount FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no",
                       [invoice_id(con, name)]).fetchall()


# --------------------------------------------------------------------------------------------
# The portal headline

@pytest.mark.parametrize("username, customer, name", [
    ("cat", "c1", "c1_issued"), ("ron", "c1", "c1_issued"), ("ram", "c1", "c1_issued"),
    ("cora", "c2", "c2"), ("ron", "c2", "c2"), ("ken", "c4", "c4"), ("rita", "c3", "c3"),
    ("ron", "r1", "r1"), ("ana", "r2", "r2"),
])
def test_customer_summary_is_exactly_the_invoice(con, username, customer, name):
    s = scope.customer_summary(con, who(con, username), customer, "2026-05")
    assert [(ln["description"], ln["amount"]) for ln in s["lines"]] == stored_lines(con, name)
    assert s["subtotal"] == sum(ln["amount"] for ln in s["lines"])
    assert s["total"] == s["subtotal"] + s["tax"]
    assert all(isinstance(v, Decimal) for v in (s["subtotal"], s["tax"], s["total"]))
    assert s["invoice_id"] == invoice_id(con, name) and s["customer"] == customer


def test_customer_summary_values_and_status(con):
    c1 = scope.customer_summary(con, who(con, "cat"), "c1", P)
    assert c1["lines"] == [{"description": "AWS AmazonEC2", "amount": D("950.00")},
                           {"description": "AWS AmazonS3", "amount": D("95.00")}]
    assert (c1["subtotal"], c1["tax"], c1["total"]) == (D("1045.00"), D("209.00"), D("1254.00"))
    assert str(c1["total"]) == "1254.00"
    assert c1["status"] == "issued" and c1["final"] is True and c1["number"] == "R1-000002"  # not the run-3 draft
    c2 = scope.customer_summary(con, who(con, "cora"), "c2", P)
    assert c2["status"] == "draft" and c2["final"] is False            # the latest run's, not stale/failed
    assert c2["lines"][-1] == {"description": "Managed service", "amount": D("500.00")}
    assert c2["subtotal"] == D("1640.00")
    c4 = scope.customer_summary(con, who(con, "ken"), "c4", P)
    assert (str(c4["subtotal"]), str(c4["tax"]), str(c4["total"]), c4["currency"]) == ("1399", "140", "1539", "JPY")
    april = scope.customer_summary(con, who(con, "cat"), "c1", APRIL)
    assert (april["subtotal"], april["total"]) == (D("100.00"), D("120.00")) and april["final"]
    nothing = scope.customer_summary(con, who(con, "cora"), "c2", APRIL)   # billed month, no invoice
    assert nothing["status"] is None and nothing["lines"] == [] and nothing["total"] == D("0.00")


# --------------------------------------------------------------------------------------------
# Breakdowns and rows

@pytest.mark.parametrize("by, expected", [
    ("service", [({"ProviderName": "AWS", "ServiceName": "AmazonEC2"}, "950"),
                 ({"ProviderName": "AWS", "ServiceName": "AmazonS3"}, "95")]),
    ("provider", [({"ProviderName": "AWS"}, "1045")]),
    ("sub_account", [({"SubAccountId": "S1"}, "1045")]),
    ("region", [({"RegionId": "us-east-1"}, "1045")]),
    ("category", [({"ServiceCategory": "Compute"}, "950"), ({"ServiceCategory": "Storage"}, "95")]),
])
def test_customer_costs_by_dimension(con, by, expected):
    frame = scope.customer_costs(con, who(con, "cat"), "c1", P, by=by)
    dims = list(expected[0][0])
    assert list(frame.columns) == [*dims, "currency", "price", "price_chart"]
    got = [({d: r[d] for d in dims}, r["price"]) for r in frame.to_dict("records")]
    assert got == [(k, D(v)) for k, v in expected]
    assert all(isinstance(p, Decimal) for p in frame["price"])
    assert frame["price_chart"].dtype == float and set(frame["currency"]) == {"USD"}


def test_customer_costs_by_day_allocates_each_group_to_its_rows(con):
    # EC2 950 over ListCost 600 (day 1) / 400 (day 2); S3 95 on day 1. c2's tagged row in the same
    # pricing key (day 3) is not c1's and does not dilute the allocation.
    frame = scope.customer_costs(con, who(con, "cat"), "c1", P, by="day")
    assert [(str(r["day"]), r["price"]) for r in frame.to_dict("records")] == [
        ("2026-05-01", D("665")), ("2026-05-02", D("380"))]
    assert sum(frame["price"]) == D("1045")
    jpy = scope.customer_costs(con, who(con, "ken"), "c4", P, by="day")
    assert jpy["price"].tolist() == [D("1398.6588")] and jpy["currency"].tolist() == ["JPY"]


def test_row_prices_follow_a_cost_basis_up_to_the_providers_charge(con):
    # r2 sells at cost +10 %, dist sells to r2 at cost +5 %: the group's 294.525 is shared by
    # BilledCost (150 / 105), not by ListCost (200 / 100).
    rows = scope.customer_rows(con, who(con, "rita"), "c3", P)
    assert rows["price"].tolist() == [D("173.25"), D("121.275")]
    assert sum(rows["price"]) == D("294.525")
    assert rows["ListCost"].tolist() == [D("200"), D("100")]            # usage of r2's subtree


def test_customer_rows_shape_filters_and_limit(con):
    cat = who(con, "cat")
    rows = scope.customer_rows(con, cat, "c1", P)
    assert list(rows.columns) == ["ChargePeriodStart", "ProviderName", "ServiceName", "SkuId", "ResourceId",
                                  "ResourceName", "RegionId", "SubAccountId", "ChargeCategory", "quantity",
                                  "unit", "price", "currency"]
    assert rows["ResourceId"].tolist() == ["i-a", "bucket-1", "i-b"]
    assert rows["price"].tolist() == [D("570"), D("95"), D("380")]
    assert sum(rows["price"]) == scope.customer_summary(con, cat, "c1", P)["subtotal"]
    assert scope.customer_rows(con, cat, "c1", P, service="AmazonS3")["ResourceId"].tolist() == ["bucket-1"]
    assert scope.customer_rows(con, cat, "c1", P, service="x' OR '1'='1").empty
    assert len(scope.customer_rows(con, cat, "c1", P, limit=2)) == 2
    for bad in (0, -1, 10**9, "5", True):
        with pytest.raises(ValueError):
            scope.customer_rows(con, cat, "c1", P, limit=bad)
    root_rows = scope.customer_rows(con, who(con, "ana"), "r2", P)
    assert root_rows[["BilledCost", "ListCost"]].values.tolist() == [[D("150"), D("200")], [D("8"), D("10")],
                                                                     [D("105"), D("100")]]
    with pytest.raises(ValueError):
        scope.customer_costs(con, cat, "c1", P, by="resource")


# --------------------------------------------------------------------------------------------
# Invoices

def test_invoices_list_and_detail(con):
    ron = who(con, "ron")
    listed = scope.invoices(con, ron)
    assert [(i["period"], i["seller"], i["buyer"], i["status"]) for i in listed] == [
        (P, "dist", "r1", "draft"), (P, "r1", "c1", "issued"), (P, "r1", "c2", "draft"),
        (APRIL, "r1", "c1", "issued")]
    assert [i["buyer"] for i in scope.invoices(con, ron, "2026-04")] == ["c1"]
    detail = scope.invoice_detail(con, ron, invoice_id(con, "c2"))
    assert detail["buyer_name"] == "Fabrikam" and detail["seller_name"] == "Reseller One"
    assert [(ln["kind"], ln["description"], ln["amount"]) for ln in detail["lines"]] == [
        ("service", "AWS AmazonEC2", D("1140.00")), ("fee", "Managed service", D("500.00"))]
    assert detail["total"] == D("1640.00") and not detail["final"]


def test_invoice_report_shape_and_money_strings(con):
    report = scope.invoice_report(con, scope.system_scope(con), "2026-05")
    assert [(r["seller"], r["buyer"]) for r in report] == [("dist", "r1"), ("dist", "r2")]
    assert report[0] == {
        "seller": "dist", "buyer": "r1", "period": "2026-05", "currency": "USD",
        "lines": [{"description": "AWS AmazonEC2", "amount": "1980.00"},
                  {"description": "AWS AmazonS3", "amount": "90.00"}],
        "subtotal": "2070.00", "tax": "0.00", "total": "2070.00", "status": "draft"}
    r2 = {r["buyer"]: r for r in scope.invoice_report(con, who(con, "rita"), P)}
    assert set(r2) == {"c3", "c4", "r2"}
    assert (r2["c4"]["subtotal"], r2["c4"]["tax"], r2["c4"]["total"]) == ("1399", "140", "1539")
    assert r2["c4"]["lines"] == [{"description": "AWS AmazonEC2", "amount": "1399"}]
    assert r2["c3"]["total"] == "294.53"
    c1 = scope.invoice_report(con, who(con, "ron"), P)
    assert [(r["buyer"], r["status"], r["total"]) for r in c1 if r["seller"] == "r1"] == [
        ("c1", "issued", "1254.00"), ("c2", "draft", "1640.00")]


# --------------------------------------------------------------------------------------------
# Margins

@pytest.mark.parametrize("username, expected", [
    ("ana", [{"org": "dist", "currency": "USD", "revenue": "2346.15", "cost": "2208.00", "margin": "138.15"}]),
    ("lea", [{"org": "dist", "currency": "USD", "revenue": "2346.15", "cost": "2208.00", "margin": "138.15"}]),
    ("rlead", [{"org": "r1", "currency": "USD", "revenue": "2685.00", "cost": "2070.00", "margin": "615.00"}]),
    ("rita", [{"org": "r2", "currency": "JPY", "revenue": "1399", "cost": "1272", "margin": "127"},
              {"org": "r2", "currency": "USD", "revenue": "294.53", "cost": "267.75", "margin": "26.78"}]),
])
def test_margin_report(con, username, expected):
    assert scope.margin_report(con, who(con, username), "2026-05") == expected


def test_margin_report_for_the_cli_is_the_roots_own(con):
    assert [m["org"] for m in scope.margin_report(con, scope.system_scope(con), P)] == ["dist"]
    assert scope.margin_report(con, who(con, "ana"), APRIL) == []


def test_margin_breakdown(con):
    ron = who(con, "ron")
    assert scope.margin_breakdown(con, ron, P, by="customer") == [
        {"customer": "c1", "name": "Contoso", "currency": "USD", "revenue": "1045.00", "cost": "990.00",
         "margin": "55.00"},
        {"customer": "c2", "name": "Fabrikam", "currency": "USD", "revenue": "1640.00", "cost": "1080.00",
         "margin": "560.00"}]
    assert scope.margin_breakdown(con, ron, P, by="provider") == [
        {"provider": "(fees)", "currency": "USD", "revenue": "500.00", "cost": "0.00", "margin": "500.00"},
        {"provider": "AWS", "currency": "USD", "revenue": "2185.00", "cost": "2070.00", "margin": "115.00"}]
    by_service = scope.margin_breakdown(con, ron, P, by="service")
    assert [(m["provider"], m["service"], m["margin"]) for m in by_service] == [
        ("(fees)", "Managed service", "500.00"), ("AWS", "AmazonEC2", "110.00"), ("AWS", "AmazonS3", "5.00")]
    # dist's breakdown: the retained credit is its margin (cost −10 on r1's rows)
    dist = scope.margin_breakdown(con, who(con, "ana"), P, by="customer")
    assert [(m["customer"], m["cost"], m["margin"]) for m in dist] == [("r1", "1945.00", "125.00"),
                                                                      ("r2", "263.00", "13.15")]
    with pytest.raises(ValueError):
        scope.margin_breakdown(con, ron, P, by="sku")


# --------------------------------------------------------------------------------------------
# Reconciliation

def test_reconciliation_balances_on_a_consistent_store(con):
    (rec,) = scope.reconciliation(con, scope.system_scope(con), "2026-05")
    assert rec == {"provider": "AWS", "invoice_id": "INV-1", "billing_account_id": "BA1", "currency": "USD",
                   "provider_total": "2333.00", "assigned": "2218.00", "unassigned": "40.00",
                   "retained_credits": "-10.00", "provider_tax": "85.00", "difference": "0.00"}
    frame = scope.unassigned(con, who(con, "lea"), P)
    assert frame[["SubAccountId", "rows"]].values.tolist() == [["S9", 1]]
    assert frame["BilledCost"].tolist() == [D("40")] and isinstance(frame["BilledCost"][0], Decimal)


def test_reconciliation_shows_a_missing_row():
    broken = build_store(drop_landing_resource="i-b")        # a 340.00 row priced but no longer landed
    try:
        (rec,) = scope.reconciliation(broken, scope.system_scope(broken), P)
        assert rec["provider_total"] == "1993.00" and rec["difference"] == "-340.00"
    finally:
        broken.close()


def test_reports_need_a_billed_period(con):
    for report in (scope.invoice_report, scope.margin_report, scope.reconciliation):
        with pytest.raises(ScopeError):
            report(con, scope.system_scope(con), "2026-06")
        with pytest.raises(ValueError):
            report(con, scope.system_scope(con), "June")
