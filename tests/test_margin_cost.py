"""A seller's cost in the margin report is everything its own seller invoices it (docs/pricing.md
§9, DOMAIN §11, issue #13): usage, fees, credits and corrections, net of the credit notes it
received; the root's cost is the provider cost. Hand-computed on a small two-tier store, through
the SQL report and the reference engine alike.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from data.billing import run_billing
from data.credit_notes import issue_credit_note
from data.invoicing import issue_invoices
from pricing.engine import bill_period
from queries import scope
from tests.billing_support import (
    admin_scope,
    assert_run_matches_engine,
    engine_inputs,
    invoices_by_buyer,
    make_store,
    model_margins,
    model_rows,
    sql_margins,
)
from tests.test_billing import WORKLOAD, two_tier

P = date(2026, 5, 1)
D = Decimal

# northwind → msp-one: list − 10 % plus a fixed 250.00 platform fee; msp-one → contoso: list − 5 %.
FEE = {"fees": [{"name": "Platform fee", "amount": "250.00"}]}


def store(tmp_path):
    con = make_store(tmp_path, two_tier(reseller_plan_extra=FEE), WORKLOAD)
    summary = run_billing(con, P)
    assert summary.ok
    return con, summary


def margin(con, org):
    rows = scope.margin_report(con, admin_scope(con, org), P)
    return [(r["currency"], r["revenue"], r["cost"], r["margin"]) for r in rows]


def test_reseller_cost_includes_the_fee_its_seller_charges(tmp_path):
    con, summary = store(tmp_path)
    inv = invoices_by_buyer(con, P)
    # Usage: list 10,000.00 × 0.90 = 9,000.00; plus the 250.00 fee = 9,250.00 invoiced to msp-one.
    assert inv["msp-one"]["subtotal"] == D("9250.00")
    # contoso: 10,000.00 × 0.95 = 9,500.00 (no fee on msp-plan).
    assert inv["contoso"]["subtotal"] == D("9500.00")
    # The root: revenue 9,250.00 (fee included); cost = provider BilledCost 5,100 + 3,400 = 8,500.00.
    assert margin(con, "northwind") == [("USD", "9250.00", "8500.00", "750.00")]
    # The reseller: revenue 9,500.00; cost = what northwind invoices it = 9,000.00 + 250.00 =
    # 9,250.00 (the old definition counted 9,000.00 and overstated the margin by 250.00).
    assert margin(con, "msp-one") == [("USD", "9500.00", "9250.00", "250.00")]
    # The reference engine agrees, entry for entry.
    orgs, plans, fx, mappings = engine_inputs(con)
    model = bill_period(P, orgs, plans, fx, model_rows(WORKLOAD), mappings)
    assert assert_run_matches_engine(con, P, summary, model, ["northwind", "msp-one"]) == "ok"
    assert model_margins(model)["msp-one"] == {"USD": (D("9500.00"), D("9250.00"), D("250.00"))}


def test_breakdowns_show_the_fee_paid_upward_and_add_up(tmp_path):
    con, _ = store(tmp_path)
    who = admin_scope(con, "msp-one")
    by_customer = [(r["customer"], r["revenue"], r["cost"], r["margin"])
                   for r in scope.margin_breakdown(con, who, P, by="customer")]
    # contoso: 9,500.00 − its usage cost 9,000.00; the fee is the organisation's, on its own entry.
    assert by_customer == [("(paid to northwind)", "0.00", "250.00", "-250.00"),
                           ("contoso", "9500.00", "9000.00", "500.00")]
    by_service = {(r["provider"], r["service"]): (r["revenue"], r["cost"])
                  for r in scope.margin_breakdown(con, who, P, by="service")}
    assert by_service[("(paid to northwind)", "(fees and adjustments)")] == ("0.00", "250.00")
    # Every breakdown adds up to the report: cost 9,250.00, margin 250.00.
    for by in ("customer", "provider", "service"):
        rows = scope.margin_breakdown(con, who, P, by=by)
        assert sum(D(r["cost"]) for r in rows) == D("9250.00"), by
        assert sum(D(r["margin"]) for r in rows) == D("250.00"), by


def test_credit_note_received_lowers_the_cost(tmp_path):
    con, _ = store(tmp_path)
    issued = issue_invoices(con, P, seller="northwind", issued_by="test")
    number = next(n for n, buyer, _, _ in issued if buyer == "msp-one")
    issue_credit_note(con, invoice_number=number, amount="100.00", reason="outage", issued_by="test")
    # northwind: revenue 9,250.00 − 100.00 = 9,150.00; cost 8,500.00; margin 650.00.
    assert margin(con, "northwind") == [("USD", "9150.00", "8500.00", "650.00")]
    # msp-one: cost 9,250.00 − 100.00 received back = 9,150.00; margin 9,500.00 − 9,150.00 = 350.00.
    assert margin(con, "msp-one") == [("USD", "9500.00", "9150.00", "350.00")]
    # The engine, given the note with its buyer, says the same.
    orgs, plans, fx, mappings = engine_inputs(con)
    model = bill_period(P, orgs, plans, fx, model_rows(WORKLOAD), mappings)
    notes = [{"seller": "northwind", "buyer": "msp-one", "currency": "USD", "amount": D("100.00")}]
    got = {(m["org"], m["currency"]): (m["revenue"], m["cost"], m["margin"]) for m in model.margins(notes)}
    assert got == {("northwind", "USD"): (D("9150.00"), D("8500.00"), D("650.00")),
                   ("msp-one", "USD"): (D("9500.00"), D("9150.00"), D("350.00"))}
    assert sql_margins(con, P, ["northwind", "msp-one"])["msp-one"] == {"USD": got[("msp-one", "USD")]}


def test_foreign_currency_sales_and_the_fee_in_the_buying_currency(tmp_path):
    # msp-one buys in USD and sells to contoso in EUR at 0.90 (USD → EUR, locked for May).
    fx = [{"period": "2026-05", "from": "USD", "to": "EUR", "rate": "0.90"}]
    con = make_store(tmp_path, two_tier(reseller_plan_extra=FEE, customer_ccy="EUR", fx=fx), WORKLOAD)
    assert run_billing(con, P).ok
    # EUR: revenue 9,500.00 × 0.90 = 8,550.00; cost of those rows 9,000.00 × 0.90 = 8,100.00.
    # USD (its buying currency): invoiced 9,250.00 − the rows' cost 9,000.00 = the 250.00 fee,
    # revenue 0.00. In USD at the locked rate: 8,100.00 / 0.90 + 250.00 = 9,250.00 invoiced.
    assert margin(con, "msp-one") == [("EUR", "8550.00", "8100.00", "450.00"),
                                      ("USD", "0.00", "250.00", "-250.00")]
    orgs, plans, fxt, mappings = engine_inputs(con)
    model = bill_period(P, orgs, plans, fxt, model_rows(WORKLOAD), mappings)
    assert model_margins(model)["msp-one"] == {"EUR": (D("8550.00"), D("8100.00"), D("450.00")),
                                               "USD": (D("0"), D("250.00"), D("-250.00"))}


def test_account_manager_breakdown_leaves_the_organisation_entry_out(tmp_path):
    con, _ = store(tmp_path)
    who = admin_scope(con, "msp-one")
    am = scope.Scope(username="am", org_id="msp-one", roles=frozenset({"account_manager"}),
                     visible_orgs=who.visible_orgs, customers=frozenset({"contoso"}))
    rows = scope.margin_breakdown(con, am, P, by="customer")
    assert [(r["customer"], r["cost"]) for r in rows] == [("contoso", "9000.00")]
