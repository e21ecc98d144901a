"""What-if (issue #13, part 2): a billed period priced again with a changed plan, stores nothing.

Hand-worked on the DOMAIN §6 store (northwind → msp-one → contoso; list 10,000.00, billed
8,500.00; northwind sells at list − 10 %, msp-one at list − 5 %), then checked against the stored
invoices: the unchanged plan must give back every stored subtotal, to the cent.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from data.billing import run_billing
from data.config import ConfigError, current_config
from data.invoicing import issue_invoices
from data.whatif import RESULT_KEYS, WhatIfError, what_if
from queries import scope
from queries.scope import ScopeError
from tests.billing_support import focus_row, make_store
from tests.test_billing import WORKLOAD, two_tier

ROOT = Path(__file__).resolve().parent.parent
P = date(2026, 5, 1)
D = Decimal


def msp_plan(discount: str = "5", **extra) -> dict:
    return {"id": "msp-plan", "owner": "msp-one", "rules": [{"basis": "list", "discount_pct": discount}], **extra}


def snapshot(con) -> dict[str, list]:
    """Every table's contents, ordered: what "stores nothing" is checked against."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "ORDER BY table_name").fetchall()]
    # each table through DuckDB's relation API: no SQL text built from its name
    return {t: sorted(con.cursor().table(t).fetchall(), key=repr) for t in tables}


@pytest.fixture()
def domain(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    assert run_billing(con, P).ok
    return con


def as_user(con, username):
    return scope.scope_for_user(con, username)


def test_worked_example_reseller_discount_from_5_to_7_pct(domain):
    before = snapshot(domain)
    got = what_if(domain, as_user(domain, "mo"), "2026-05", msp_plan("7"))
    # contoso: 10,000.00 × 0.93 = 9,300.00 (was 9,500.00); msp-one's cost of those rows is what
    # northwind charges for them, 10,000.00 × 0.90 = 9,000.00, so its margin 500.00 → 300.00.
    assert got == [{"buyer": "contoso", "currency": "USD", "current_subtotal": "9500.00",
                    "new_subtotal": "9300.00", "difference": "-200.00", "current_margin": "500.00",
                    "new_margin": "300.00"}]
    assert snapshot(domain) == before                     # every table, row for row


def test_the_unchanged_plan_gives_back_the_stored_invoice(domain):
    got = what_if(domain, as_user(domain, "mo"), P, msp_plan("5"))
    assert [(r["current_subtotal"], r["new_subtotal"], r["difference"]) for r in got] == [
        ("9500.00", "9500.00", "0.00")]


def test_the_distributor_changes_the_resellers_plan(domain):
    plan = {"id": "dist-plan", "owner": "northwind", "rules": [{"basis": "list", "discount_pct": "12"}],
            "fees": [{"name": "Platform fee", "amount": "250.00"}]}
    got = what_if(domain, scope.system_scope(domain), P, plan)
    # msp-one: 10,000.00 × 0.88 = 8,800.00 + 250.00 fee = 9,050.00 (was 9,000.00); northwind's
    # cost is the provider's 8,500.00: margin 500.00 → 550.00. contoso is msp-one's to price.
    assert got == [{"buyer": "msp-one", "currency": "USD", "current_subtotal": "9000.00",
                    "new_subtotal": "9050.00", "difference": "50.00", "current_margin": "500.00",
                    "new_margin": "550.00"}]


def test_tiers_fees_and_a_foreign_currency_reprice_to_the_cent(tmp_path):
    # contoso invoiced in EUR at 0.92; its plan has graduated tiers and a 3 % support fee.
    tiers = {"mode": "graduated", "bands": [{"from": "0", "discount_pct": "0"},
                                            {"from": "5000", "discount_pct": "2"}]}
    extra = {"tiers": tiers, "fees": [{"name": "Support", "pct_of_usage": "3"}]}
    cfg = two_tier(customer_ccy="EUR", customer_plan_extra=extra,
                   fx=[{"period": "2026-05", "from": "USD", "to": "EUR", "rate": "0.92"}])
    rows = WORKLOAD + [focus_row(list_cost="0.333", billed="0.25", service="AmazonSNS", sku="SKU-3")]
    con = make_store(tmp_path, cfg, rows)
    assert run_billing(con, P).ok
    mo = as_user(con, "mo")
    same = what_if(con, mo, P, msp_plan("5", **extra))
    assert same[0]["new_subtotal"] == same[0]["current_subtotal"]
    got = what_if(con, mo, P, msp_plan("7", **extra))
    # By hand, at 7 % off list: pre-tier EC2 5,580.00, S3 3,720.00, SNS 0.30969 USD; in EUR × 0.92
    # S = 5,133.60 + 3,422.40 + 0.2849148 = 8,556.2849148. Graduated: 2 % of (S − 5,000) =
    # 71.125698296, tier factor t = (S − D) / S = 0.991687315347 (12 places). Lines: EC2
    # 5,580 × t × 0.92 = 5,090.93, S3 3,393.95, SNS 0.28; support 3 % of the unrounded usage
    # (8,485.159…) = 254.55; subtotal 8,739.71. The stored 5 % invoice: 5,199.12 + 3,466.08 +
    # 0.29 + 259.96 = 8,925.45. msp-one's cost: 0.90 × list × 0.92 = 4,968.00 + 3,312.00 +
    # 0.275724 = 8,280.28 EUR, so the margin goes from 645.17 to 459.43.
    assert got == [{"buyer": "contoso", "currency": "EUR", "current_subtotal": "8925.45",
                    "new_subtotal": "8739.71", "difference": "-185.74", "current_margin": "645.17",
                    "new_margin": "459.43"}]


def test_only_admins_and_leaders_of_the_owner(domain):
    with pytest.raises(ScopeError):            # msp-one may not price northwind's plan
        what_if(domain, as_user(domain, "mo"), P,
                {"id": "dist-plan", "owner": "msp-one", "rules": [{"basis": "list"}]})
    with pytest.raises(ScopeError):            # nor northwind msp-one's
        what_if(domain, as_user(domain, "ana"), P, msp_plan("7"))
    customer = scope.Scope(username="c", org_id="contoso", roles=frozenset({"customer"}),
                           visible_orgs=frozenset({"contoso"}))
    with pytest.raises(ScopeError):
        what_if(domain, customer, P, msp_plan("7"))


def test_an_invalid_plan_is_told_by_its_path_and_stores_nothing(domain):
    before = snapshot(domain)
    with pytest.raises(ConfigError) as exc:
        what_if(domain, as_user(domain, "mo"), P, msp_plan("120"))
    assert any(i.path == "rules[0].discount_pct" for i in exc.value.issues), exc.value.issues
    with pytest.raises(ConfigError):
        what_if(domain, as_user(domain, "mo"), P, {"id": "msp-plan", "owner": "msp-one",
                                                    "rules": [{"basis": "list", "discount_pct": 7.0}]})
    google_only = {**msp_plan(), "rules": [{"match": {"ProviderName": "Google"}, "basis": "list"}]}
    with pytest.raises(WhatIfError, match=r"no rule of the changed plan matches 2 rows"):
        what_if(domain, as_user(domain, "mo"), P, google_only)
    assert snapshot(domain) == before


def test_issued_period_and_a_credit_note_leave_the_subtotal_as_stored(domain):
    issue_invoices(domain, P, seller="msp-one", issued_by="test")
    got = what_if(domain, as_user(domain, "mo"), P, msp_plan("7"))
    assert (got[0]["current_subtotal"], got[0]["new_subtotal"]) == ("9500.00", "9300.00")


def test_the_cli_prints_json_and_stores_nothing(domain, tmp_path):
    db = Path(domain.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
              .fetchone()[0])
    before = snapshot(domain)
    domain.close()
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(msp_plan("7")), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), "whatif", "--period",
                           "2026-05", "--plan-file", str(plan_file), "--as", "mo", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [tuple(r) for r in data] == [RESULT_KEYS]
    assert (data[0]["new_subtotal"], data[0]["new_margin"]) == ("9300.00", "300.00")
    # a user who may not: one sentence, status 2; an unreadable file: status 1
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), "whatif", "--period",
                           "2026-05", "--plan-file", str(plan_file), "--as", "ana", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ana may not see this")
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), "whatif", "--period",
                           "2026-05", "--plan-file", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and "missing.yaml" in proc.stderr
    from data.store import connect
    con = connect(db)
    try:
        assert snapshot(con) == before
    finally:
        con.close()


def test_every_plan_of_the_demo_unchanged_reprices_every_invoice():
    """On the small demo store (tiers, fees, credits, commitments, EUR and GBP buyers, an issued
    period): each plan, priced again unchanged, gives back each buyer's stored subtotal."""
    from data.store import connect
    from tests.browser_support import ui_store

    store = ui_store()
    # read-write like the AppTests' own connection to this file in this process (DuckDB refuses a
    # second connection with another configuration); the what-if writes nothing (checked elsewhere)
    con = connect(store.apptest_db)
    try:
        doc = current_config(con)
        checked = 0
        for plan in doc.to_data()["plans"]:
            owner = plan["owner"]
            who = scope.Scope(username=f"t-{owner}", org_id=owner, roles=frozenset({"admin"}),
                              visible_orgs=scope.subtree(con, owner))
            for period in store.periods:
                for r in what_if(con, who, period, plan):
                    assert D(r["difference"]) == 0, (plan["id"], period, r)
                    checked += 1
        assert checked > 20
    finally:
        con.close()
