"""Margins (issue #13, part 1): margin %, end customers, where the margin comes from, the trend,
unassigned cost as leakage, the margin floor, and what a reseller's leader never sees.

The store, by hand (northwind → msp-one → contoso, all USD):
  rows    EC2 list 6,000.00 billed 5,100.00; S3 list 4,000.00 billed 3,400.00;
          EC2 covered by a commitment (Used) list 1,000.00 billed 0.00 effective 600.00;
          an AWS credit billed −100.00; a row of sub-account 999 nobody is mapped to, billed 40.00.
  northwind → msp-one (list − 10 %, credits retained, a 250.00 platform fee):
          EC2 5,400.00 + the commitment 600.00 × 0.90 = 540.00 → line 5,940.00; S3 3,600.00;
          fee 250.00; subtotal 9,790.00. Its cost: 5,100 + 3,400 + 0 − 100 = 8,400.00.
  msp-one → contoso (list − 5 %): EC2 5,700.00 + 570.00 = 6,270.00; S3 3,800.00; subtotal
          10,070.00. Its cost: what northwind invoices it, 9,790.00.
April holds the first two rows only: msp-one is invoiced 9,000.00 + 250.00, contoso 9,500.00.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from data.billing import run_billing
from queries import scope
from queries.reports.margins import MARGIN_BY, margin_breakdown, margin_report
from tests.billing_support import focus_row, make_store
from tests.test_billing import HASH, two_tier

ROOT = Path(__file__).resolve().parent.parent
P, APRIL = date(2026, 5, 1), date(2026, 4, 1)
D = Decimal

ROWS = [
    focus_row(list_cost="6000.00", billed="5100.00"),
    focus_row(list_cost="4000.00", billed="3400.00", service="AmazonS3", service_category="Storage", sku="SKU-2"),
    focus_row(list_cost="1000.00", billed="0", effective="600.00", commitment_id="ri-1",
              commitment_status="Used"),
    focus_row(category="Credit", list_cost="0", billed="-100.00"),
    focus_row(sub="999", list_cost="50.00", billed="40.00"),
]
APRIL_ROWS = [focus_row(period="2026-04", list_cost="6000.00", billed="5100.00"),
              focus_row(period="2026-04", list_cost="4000.00", billed="3400.00", service="AmazonS3",
                        service_category="Storage", sku="SKU-2")]
# What only northwind may know: the provider's charges and its own cost and margin.
DIST_ONLY = {"8400.00", "5100.00", "3400.00", "8500.00", "-100.00", "1390.00", "1140.00", "14.20", "40.00"}


def config(root_floor: str | None = None, msp_floor: str | None = None) -> dict:
    cfg = two_tier(reseller_plan_extra={"fees": [{"name": "Platform fee", "amount": "250.00"}]})
    if root_floor is not None:
        cfg["root"]["margin_floor_pct"] = root_floor
    if msp_floor is not None:
        cfg["organizations"][0]["margin_floor_pct"] = msp_floor
    cfg["users"] += [
        {"username": "lea", "name": "Lea", "org": "northwind", "roles": ["leader"], "password_hash": HASH},
        {"username": "ml", "name": "Ml", "org": "msp-one", "roles": ["leader"], "password_hash": HASH},
    ]
    return cfg


@pytest.fixture()
def con(tmp_path):
    c = make_store(tmp_path, config(root_floor="15", msp_floor="6"), ROWS + APRIL_ROWS)
    assert run_billing(c, APRIL).ok and run_billing(c, P).ok
    return c


def who(con, username):
    return scope.scope_for_user(con, username)


def test_margin_pct_next_to_the_report(con):
    assert margin_report(con, who(con, "lea"), P, with_pct=True) == [
        {"org": "northwind", "currency": "USD", "revenue": "9790.00", "cost": "8400.00", "margin": "1390.00",
         "margin_pct": "14.20"}]                                 # 1,390 / 9,790 = 14.198 %
    assert margin_report(con, who(con, "ml"), P, with_pct=True) == [
        {"org": "msp-one", "currency": "USD", "revenue": "10070.00", "cost": "9790.00", "margin": "280.00",
         "margin_pct": "2.78"}]                                  # 280 / 10,070 = 2.7805 %
    # without the flag the report keeps its keys (tests/test_reports.py)
    assert set(margin_report(con, who(con, "lea"), P)[0]) == {"org", "currency", "revenue", "cost", "margin"}


def test_where_the_margin_comes_from(con):
    rows = {r["source"]: (r["revenue"], r["cost"], r["margin"])
            for r in margin_breakdown(con, who(con, "lea"), P, by="source")}
    assert rows == {
        "usage": ("9000.00", "8500.00", "500.00"),               # (6,000 + 4,000) × 0.90 − billed
        "commitments": ("540.00", "0.00", "540.00"),             # the saving: 600 × 0.90, billed 0
        "retained_credits": ("0.00", "-100.00", "100.00"),       # kept by northwind
        "fees": ("250.00", "0.00", "250.00"),
    }                                                            # Σ margin 1,390.00 = the report
    msp = {r["source"]: (r["revenue"], r["cost"], r["margin"])
           for r in margin_breakdown(con, who(con, "ml"), P, by="source")}
    assert msp == {
        "usage": ("9500.00", "9000.00", "500.00"),
        "commitments": ("570.00", "540.00", "30.00"),            # 600 × 0.95 − 600 × 0.90
        "(paid to northwind)": ("0.00", "250.00", "-250.00"),    # the platform fee it pays
    }                                                            # Σ 280.00
    labels = {r["source"]: r["label"] for r in margin_breakdown(con, who(con, "lea"), P, by="source")}
    assert labels["commitments"] == "Commitment margin (savings retained)"


def test_a_distributor_by_reseller_and_by_end_customer_with_the_floor(con):
    lea = who(con, "lea")
    by_reseller = margin_breakdown(con, lea, P, by="customer", with_pct=True)
    assert by_reseller == [{"customer": "msp-one", "name": "MSP One", "currency": "USD", "revenue": "9790.00",
                            "cost": "8400.00", "margin": "1390.00", "margin_pct": "14.20",
                            "floor_pct": "15.00", "below_floor": True}]          # 14.20 % < 15 %
    by_customer = margin_breakdown(con, lea, P, by="end_customer", with_pct=True)
    # contoso's rows at northwind's price: 5,940 + 3,600 = 9,540.00 against 8,400.00 (11.95 %);
    # the fee is msp-one's, not a customer's: its own entry, never flagged.
    assert [(r["customer"], r["name"], r["revenue"], r["cost"], r["margin"], r["margin_pct"], r["below_floor"])
            for r in by_customer] == [
        ("(msp-one: fees and adjustments)", "(msp-one: fees and adjustments)", "250.00", "0.00", "250.00",
         "100.00", False),
        ("contoso", "Contoso Ltd", "9540.00", "8400.00", "1140.00", "11.95", True)]


def test_a_resellers_customers_against_its_own_floor(con):
    ml = who(con, "ml")
    rows = margin_breakdown(con, ml, P, by="customer", with_pct=True)
    # contoso: 10,070.00 − (9,000.00 + 540.00) = 530.00, 5.26 % < msp-one's 6 %
    assert [(r["customer"], r["margin"], r["margin_pct"], r["floor_pct"], r["below_floor"]) for r in rows] == [
        ("(paid to northwind)", "-250.00", None, None, False),
        ("contoso", "530.00", "5.26", "6.00", True)]
    assert margin_breakdown(con, ml, P, by="end_customer") == margin_breakdown(con, ml, P, by="customer")


def test_the_trend_holds_each_billed_month(con):
    trend = margin_breakdown(con, who(con, "lea"), P, by="month", with_pct=True)
    assert trend == [
        {"month": "2026-04", "currency": "USD", "revenue": "9250.00", "cost": "8500.00", "margin": "750.00",
         "margin_pct": "8.11"},                                  # 750 / 9,250
        {"month": "2026-05", "currency": "USD", "revenue": "9790.00", "cost": "8400.00", "margin": "1390.00",
         "margin_pct": "14.20"}]
    assert [t["month"] for t in margin_breakdown(con, who(con, "lea"), APRIL, by="month")] == ["2026-04"]


def test_unassigned_cost_is_the_roots_leakage_only(con):
    assert margin_breakdown(con, who(con, "lea"), P, by="leakage") == [
        {"provider": "AWS", "currency": "USD", "revenue": "0.00", "cost": "40.00", "margin": "-40.00"}]
    assert margin_breakdown(con, who(con, "ml"), P, by="leakage") == []


def test_a_resellers_leader_never_sees_its_sellers_cost(con):
    ml = who(con, "ml")
    seen: set[str] = set()
    for by in MARGIN_BY:
        for row in margin_breakdown(con, ml, P, by=by, with_pct=True):
            seen |= {str(v) for v in row.values()}
    for row in margin_report(con, ml, P, with_pct=True):
        seen |= {str(v) for v in row.values()}
    assert not DIST_ONLY & seen, DIST_ONLY & seen


def test_breakdowns_add_up_to_the_report_on_the_demo_store():
    """Every seller of the demo, every closed period: each breakdown's margins add up to the
    report per currency, within a cent per entry (each entry is rounded once)."""
    from data.store import connect
    from tests.billing_support import admin_scope
    from tests.browser_support import ui_store

    store = ui_store()
    c = connect(store.apptest_db)        # as the AppTests of this process hold it (read-write)
    try:
        sellers = [r[0] for r in c.execute("SELECT DISTINCT seller FROM invoices").fetchall()]
        for org in sellers:
            s = admin_scope(c, org)
            for period in store.periods:
                total = {r["currency"]: D(r["margin"]) for r in margin_report(c, s, period)}
                for by in ("customer", "end_customer", "provider", "source"):
                    rows = margin_breakdown(c, s, period, by=by)
                    got: dict[str, Decimal] = {}
                    for r in rows:
                        got[r["currency"]] = got.get(r["currency"], D(0)) + D(r["margin"])
                    for ccy, margin in total.items():
                        slack = D("0.01") * max(1, len(rows))
                        assert abs(got.get(ccy, D(0)) - margin) <= slack, (org, period, by, ccy)
    finally:
        c.close()


def test_the_cli_adds_margin_pct_and_keeps_its_keys(con):
    import json
    db = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    con.close()
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", db, "report", "margins", "--period",
                           "2026-05", "--json", "--as", "ml"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"org": "msp-one", "currency": "USD", "revenue": "10070.00",
                                        "cost": "9790.00", "margin": "280.00", "margin_pct": "2.78"}]


def test_the_floor_is_a_percentage_in_the_document(tmp_path):
    import yaml

    from data.config import ConfigError, parse_config
    cfg = config(root_floor="101")
    with pytest.raises(ConfigError, match=r"root\.margin_floor_pct"):
        parse_config(yaml.safe_dump(cfg, sort_keys=False))
    doc = parse_config(yaml.safe_dump(config(root_floor="12.5", msp_floor="0"), sort_keys=False))
    assert doc.root.margin_floor_pct == D("12.5") and doc.organizations[0].margin_floor_pct == D("0")
    assert doc.root_org().margin_floor_pct == D("12.5")
    assert doc.to_data()["root"]["margin_floor_pct"] == "12.5"


def test_a_resellers_cost_is_what_it_is_invoiced_on_the_demo_store():
    """Every demo reseller, every billed period: its cost is what its seller invoices it (the
    subtotals of the current invoices it receives, less the credit notes against them), read
    straight from the invoice tables. Each demo reseller also sells in other currencies, so, as
    §9 says, the cost in a foreign currency B is counted in B; converted back at the locked rate
    (its x_CostSeller, the same rows' cost in its own currency) the buckets add up to what it is
    invoiced, within the one rounding of its own-currency bucket."""
    from data.store import connect
    from tests.billing_support import admin_scope
    from tests.browser_support import ui_store

    store = ui_store()
    c = connect(store.apptest_db)        # as the AppTests of this process hold it (read-write)
    try:
        resellers = c.execute("SELECT id, currency FROM cfg_organizations WHERE kind = 'reseller'").fetchall()
        checked = 0
        for org, own in resellers:
            for period in store.periods:
                report = {r["currency"]: D(r["cost"]) for r in margin_report(c, admin_scope(c, org), period)}
                invoiced = c.execute(
                    "SELECT coalesce(sum(subtotal), 0) - coalesce((SELECT sum(n.amount) FROM credit_notes n "
                    "JOIN rpt_current_invoices i ON i.invoice_id = n.invoice_id "
                    "WHERE i.buyer = ? AND i.x_Period = ?), 0) "
                    "FROM rpt_current_invoices WHERE buyer = ? AND x_Period = ?",
                    [org, period, org, period]).fetchone()[0]
                foreign_in_own = c.execute(
                    "SELECT coalesce(sum(l.x_CostSeller), 0) FROM fct_ledger l "
                    "JOIN rpt_current_runs r ON r.run_id = l.run_id AND r.x_Period = l.x_Period "
                    "WHERE l.x_Period = ? AND l.x_SellerId = ? AND l.x_BuyerCurrency <> ?",
                    [period, org, own]).fetchone()[0]
                assert abs(report.get(own, D(0)) + foreign_in_own - invoiced) <= D("0.005"), \
                    (org, period, report, invoiced, foreign_in_own)
                checked += 1
        assert checked == len(resellers) * len(store.periods) >= 9
    finally:
        c.close()
