"""Commitments and credits managed as margin (issue #15): the inventory, the single-customer rule,
what each policy did in money, credits by kind and the lost partner-earned credit, coverage.

The ledger below is small enough to check by hand. One reseller (msp, the root) sells AWS to two
customers on one rule, list − 10 % (factor 0.9). A reserved instance RI-1 is bought in alpha's
account; in 2026-05 it covers usage of alpha and of beta (beta does not own it: the violation):

| row | account | category / status | ListCost | BilledCost | EffectiveCost |
|---|---|---|---|---|---|
| purchase RI-1 | alpha | Purchase | 100.00 | 100.00 | 0.00 |
| covered | alpha | Usage / Used | 50.00 + 30.00 | 0 | 25.00 + 15.00 |
| covered | beta | Usage / Used | 40.00 + 20.00 | 0 | 20.00 + 10.00 |
| unused RI-1 | alpha | Usage / Unused | 0 | 0 | 30.00 |
| on demand | beta | Usage | 200.00 | 170.00 | 170.00 |

Purchase 100.00 = used 70.00 + unused 30.00; utilisation 70.00 %.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from data.billing import run_billing
from data.config import import_config, parse_config
from data.ingest import ingest_file
from data.store import ROOT, connect
from queries import scope
from queries.reports import commitments as cm
from tests.billing_support import FOCUS_HEADER, admin_scope, focus_row, invoices_by_buyer, reimport, sql_margins
from tests.test_billing import HASH

P = date(2026, 5, 1)
CENT = Decimal("0.01")
ALPHA, BETA = "200000000001", "200000000002"
EXTRA = ["x_PartnerCreditApplied", "x_PartnerCreditRate"]     # Azure export columns (x_Extra)


def config(policy: str = "pass_through", share: str | None = None, credits: str = "retain") -> dict:
    plan = {"id": "std", "owner": "msp", "rules": [{"basis": "list", "discount_pct": "10"}],
            "commitments": policy, "credits": credits}
    if share is not None:
        plan["commitment_share_pct"] = share
    return {
        "root": {"id": "msp", "name": "MSP Direct", "kind": "reseller", "currency": "USD"},
        "organizations": [
            {"id": "alpha", "name": "Alpha Ltd", "kind": "customer", "parent": "msp", "currency": "USD", "plan": "std"},
            {"id": "beta", "name": "Beta Inc", "kind": "customer", "parent": "msp", "currency": "USD", "plan": "std"},
        ],
        "account_mappings": [
            {"provider": "AWS", "sub_account_id": ALPHA, "customer": "alpha"},
            {"provider": "AWS", "sub_account_id": BETA, "customer": "beta"},
            {"provider": "Microsoft", "sub_account_id": "sub-alpha", "customer": "alpha"},
            {"provider": "Microsoft", "sub_account_id": "sub-beta", "customer": "beta"},
        ],
        "plans": [plan],
        "fx_rates": [],
        "users": [
            {"username": "boss", "name": "Boss", "org": "msp", "roles": ["admin"], "email": "boss@msp.example",
             "password_hash": HASH},
            {"username": "am-beta", "name": "Am", "org": "msp", "roles": ["account_manager"],
             "customers": ["beta"], "password_hash": HASH},
            {"username": "alpha-user", "name": "Al", "org": "alpha", "roles": ["customer"], "password_hash": HASH},
            {"username": "beta-user", "name": "Be", "org": "beta", "roles": ["customer"], "password_hash": HASH},
        ],
    }


def ri(**kw) -> dict:
    row = focus_row(commitment_id="RI-1", **kw)
    row.update({"CommitmentDiscountType": "Reserved Instance", "CommitmentDiscountCategory": "Usage",
                "CommitmentDiscountName": "RI m6i.large"})
    return row


def ms(sub: str, *, period: str, category: str = "Usage", description: str = "", billed: str = "0",
       list_cost: str = "0", contracted: str | None = None, pec: str = "", day: int = 2) -> dict:
    row = focus_row(period=period, provider="Microsoft", account="ms-billing", sub=sub, category=category,
                    service="Virtual Machines", sku="D4s", list_cost=list_cost, billed=billed,
                    contracted=contracted, day=day)
    if description:
        row["ChargeDescription"] = description
    row["x_PartnerCreditApplied"] = "true" if pec else ""
    row["x_PartnerCreditRate"] = pec
    return row


ROWS = [
    ri(sub=ALPHA, category="Purchase", sku="RI-SKU", list_cost="100.00", billed="100.00", effective="0"),
    ri(sub=ALPHA, commitment_status="Used", list_cost="50.00", billed="0", effective="25.00", day=2),
    ri(sub=ALPHA, commitment_status="Used", list_cost="30.00", billed="0", effective="15.00", day=3),
    ri(sub=BETA, commitment_status="Used", list_cost="40.00", billed="0", effective="20.00", day=2),
    ri(sub=BETA, commitment_status="Used", list_cost="20.00", billed="0", effective="10.00", day=3),
    ri(sub=ALPHA, commitment_status="Unused", list_cost="0", billed="0", effective="30.00", day=1),
    focus_row(sub=BETA, list_cost="200.00", billed="170.00", day=4),
]
# Credits: alpha earns partner-earned credit in 2026-04 and none in 2026-05 (the alert); beta earns
# it in both, in 2026-05 through an Azure usage row the export flags (15 % of 100.00 contracted);
# beta has a promotional, a support credit and a refund in 2026-05.
CREDITS = [
    ms("sub-alpha", period="2026-04", list_cost="50.00", billed="42.50"),
    ms("sub-alpha", period="2026-04", category="Credit", description="Partner Earned Credit (PEC)", billed="-6.38"),
    ms("sub-beta", period="2026-04", category="Credit", description="Partner Earned Credit (PEC)", billed="-2.00"),
    ms("sub-alpha", period="2026-05", list_cost="50.00", billed="42.50"),
    ms("sub-beta", period="2026-05", list_cost="120.00", contracted="100.00", billed="85.00", pec="0.15"),
    focus_row(sub=BETA, category="Credit", list_cost="0", billed="-3.00", day=5),
    focus_row(sub=BETA, category="Credit", list_cost="0", billed="-2.00", day=6),
    focus_row(sub=BETA, category="Credit", list_cost="0", billed="-1.00", day=7),
]
CREDITS[5]["ChargeDescription"] = "AWS Activate promotional credit"
CREDITS[6]["ChargeDescription"] = "Business Support credit"
CREDITS[7]["ChargeDescription"] = "Refund for over-billed usage"


def write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FOCUS_HEADER + EXTRA)
        writer.writeheader()
        writer.writerows([{**{k: "" for k in EXTRA}, **r} for r in rows])
    return path


def store(tmp_path: Path, cfg: dict, rows: list[dict]):
    con = connect(tmp_path / "c.duckdb")
    import_config(con, parse_config(yaml.safe_dump(cfg, sort_keys=False), source="c.yaml"), imported_by="test")
    ingest_file(con, write(tmp_path / "c.csv", rows), loaded_by="test")
    return con


def user(con, name: str):
    return scope.scope_for_user(con, name)


@pytest.fixture
def billed(tmp_path):
    con = store(tmp_path, config(), ROWS + CREDITS)
    for period in ("2026-04", "2026-05"):
        assert run_billing(con, period).ok
    return con


# --- inventory and the single-customer rule ---------------------------------------------------

def test_inventory_figures_by_hand(billed):
    (ri1,) = [c for c in cm.commitment_inventory(billed, user(billed, "boss"), P) if c["commitment_id"] == "RI-1"]
    assert {k: ri1[k] for k in ("provider", "type", "category", "name", "currency", "owner_customer",
                                "owner_sub_account", "owner_source", "utilization_pct", "purchase_cost",
                                "amortized_cost", "used_cost", "used_list_cost", "unused_cost", "rows")} == {
        "provider": "AWS", "type": "Reserved Instance", "category": "Usage", "name": "RI m6i.large",
        "currency": "USD", "owner_customer": "alpha", "owner_sub_account": ALPHA, "owner_source": "purchase",
        "utilization_pct": "70.00", "purchase_cost": "100.00", "amortized_cost": "100.00",
        "used_cost": "70.00", "used_list_cost": "140.00", "unused_cost": "30.00", "rows": 6}
    assert ri1["covered"] == [
        {"customer": "alpha", "effective_cost": "40.00", "list_cost": "80.00", "rows": 2},
        {"customer": "beta", "effective_cost": "30.00", "list_cost": "60.00", "rows": 2}]
    assert ri1["violations"] == [{"customer": "beta", "effective_cost": "30.00", "list_cost": "60.00", "rows": 2}]
    assert cm.commitment_violations(billed, user(billed, "boss"), P) == [
        {"commitment_id": "RI-1", "provider": "AWS", "type": "Reserved Instance", "currency": "USD",
         "owner_customer": "alpha", "customer": "beta", "effective_cost": "30.00", "list_cost": "60.00",
         "rows": 2}]


def test_the_run_records_the_violation_once_per_commitment_owner_and_beneficiary(billed):
    rows = billed.execute(
        "SELECT x_OwnerCustomerId, x_CustomerId, sum(x_RowCount), sum(EffectiveCost), sum(ListCost) "
        "FROM fct_commitments f JOIN rpt_current_runs r USING (run_id) "
        "WHERE CommitmentDiscountStatus = 'Used' AND x_CustomerId IS DISTINCT FROM x_OwnerCustomerId "
        "GROUP BY ALL").fetchall()
    assert rows == [("alpha", "beta", 2, Decimal("30"), Decimal("60"))]


def test_an_owner_without_purchase_or_waste_this_month_is_the_one_recorded_before(tmp_path):
    june = [ri(period="2026-06", sub=BETA, commitment_status="Used", list_cost="10.00", billed="0", effective="5.00")]
    con = store(tmp_path, config(), ROWS + june)
    for period in ("2026-05", "2026-06"):
        assert run_billing(con, period).ok
    (ri1,) = cm.commitment_inventory(con, user(con, "boss"), "2026-06")
    assert (ri1["owner_customer"], ri1["owner_source"], ri1["utilization_pct"]) == ("alpha", "earlier", "100.00")
    assert ri1["violations"] == [{"customer": "beta", "effective_cost": "5.00", "list_cost": "10.00", "rows": 1}]


def test_scope_names_only_the_customers_a_user_may_see(billed):
    (mine,) = cm.commitment_inventory(billed, user(billed, "alpha-user"), P)
    assert mine["owner_customer"] == "alpha"
    assert [c["customer"] for c in mine["covered"]] == ["alpha", cm.OTHERS]
    assert cm.commitment_inventory(billed, user(billed, "beta-user"), P) == []     # not its commitment
    (seen,) = cm.commitment_inventory(billed, user(billed, "am-beta"), P)          # it covers beta
    assert seen["owner_customer"] == cm.OTHERS and seen["owner_sub_account"] is None
    assert [c["customer"] for c in seen["covered"]] == ["beta", cm.OTHERS]
    with pytest.raises(scope.ScopeError):
        cm.policy_money(billed, user(billed, "alpha-user"), P)
    with pytest.raises(scope.ScopeError):
        cm.credits_by_kind(billed, user(billed, "beta-user"), P)


# --- each policy: invoices, margins, money ------------------------------------------------------

# (policy, share, alpha total, beta total, margin, {customer: (passed, retained, waste carried, waste passed)})
POLICIES = [
    # pass_through: covered usage at EffectiveCost, unused passed on: alpha (40 + 30) × 0.9 = 63.00;
    # beta (30 + 200) × 0.9 = 207.00; revenue 270.00 = provider cost 100.00 + 170.00: margin 0.00.
    ("pass_through", None, "63.00", "207.00", "0.00",
     {"alpha": ("40.00", "0.00", "0.00", "30.00"), "beta": ("30.00", "0.00", "0.00", "0.00")}),
    # retain: covered usage at list, unused 0: alpha 80 × 0.9 = 72.00; beta (60 + 200) × 0.9 = 234.00;
    # revenue 306.00 − cost 270.00 = 36.00.
    ("retain", None, "72.00", "234.00", "36.00",
     {"alpha": ("0.00", "40.00", "30.00", "0.00"), "beta": ("0.00", "30.00", "0.00", "0.00")}),
    # share 50 %: alpha 80 − 20 = 60 → 54.00; beta (60 − 15 + 200) × 0.9 = 220.50; 274.50 − 270.00 = 4.50.
    ("share", "50", "54.00", "220.50", "4.50",
     {"alpha": ("20.00", "20.00", "30.00", "0.00"), "beta": ("15.00", "15.00", "0.00", "0.00")}),
]


@pytest.mark.parametrize("policy, share, alpha, beta, margin, money", POLICIES, ids=[p[0] for p in POLICIES])
def test_each_policy_invoices_and_margins_by_hand(tmp_path, policy, share, alpha, beta, margin, money):
    con = store(tmp_path, config(policy, share), ROWS)
    assert run_billing(con, P).ok
    invoices = invoices_by_buyer(con, P)
    assert {b: str(i["total"].quantize(Decimal("0.01"))) for b, i in invoices.items()} == {"alpha": alpha, "beta": beta}
    # The purchase (100.00 billed) is never charged besides its amortisation: its basis is 0.
    assert con.execute("SELECT x_BasisAmount, x_Price FROM fct_ledger WHERE ChargeCategory = 'Purchase'").fetchall() \
        == [(Decimal(0), Decimal(0))]
    assert sql_margins(con, P, ["msp"])["msp"]["USD"] == (
        Decimal(alpha) + Decimal(beta), Decimal("270.00"), Decimal(margin))
    got = {r["customer"]: r for r in cm.policy_money(con, admin_scope(con, "msp"), P)}
    for customer, (passed, retained, carried, waste_passed) in money.items():
        r = got[customer]
        assert (r["policy"], r["saving_passed"], r["saving_retained"], r["waste_carried"], r["waste_passed"]) == \
            (policy, passed, retained, carried, waste_passed)
        assert Decimal(r["saving_passed"]) + Decimal(r["saving_retained"]) == Decimal(r["saving"])
        assert r["purchase_charged"] == "0.00"
    assert got["alpha"]["purchase_billed"] == "100.00"


# --- credits by kind and the lost partner-earned credit ------------------------------------------

@pytest.mark.parametrize("credits, treatment", [("retain", "retained by msp"), ("pass_through", "passed to the customer")])
def test_credits_by_kind_and_their_treatment(tmp_path, credits, treatment):
    con = store(tmp_path, config(credits=credits), ROWS + CREDITS)
    assert run_billing(con, P).ok
    got = {(r["customer"], r["kind"], r["source"]): (r["amount"], r["treatment"])
           for r in cm.credits_by_kind(con, user(con, "boss"), P)}
    assert got == {
        ("beta", "partner_earned", "usage"): ("-15.00", "in the usage price"),
        ("beta", "promotional", "credit"): ("-3.00", treatment),
        ("beta", "support", "credit"): ("-2.00", treatment),
        ("beta", "refund", "credit"): ("-1.00", treatment),
    }


def test_a_customer_that_stops_earning_partner_credit_raises_the_alert(billed):
    assert cm.partner_credit_alerts(billed, user(billed, "boss"), P) == [
        {"customer": "alpha", "name": "Alpha Ltd", "provider": "Microsoft", "period": "2026-05",
         "previous_period": "2026-04", "previous_amount": "6.38", "currency": "USD"}]
    assert cm.partner_credit_alerts(billed, user(billed, "am-beta"), P) == []    # beta still earns it
    assert cm.partner_credit_alerts(billed, user(billed, "boss"), "2026-04") == []   # 2026-03 not billed


def test_the_lost_partner_credit_is_e_mailed_once_per_customer_and_period(billed):
    import email
    import socket
    from email import policy

    from aiosmtpd.controller import Controller

    from data.commitments import send_partner_credit_alerts
    from data.documents.mail import MailSettings

    class Recorder:
        def __init__(self) -> None:
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = MailSettings(host="127.0.0.1", port=port, tls="none", from_address="alerts@msp.example")
        first = send_partner_credit_alerts(billed, P, settings)
        again = send_partner_credit_alerts(billed, "2026-05", settings)
    finally:
        controller.stop()
    assert [(r["customer"], r["status"], r["to"]) for r in first] == [("alpha", "sent", "boss@msp.example")]
    assert [(r["customer"], r["status"]) for r in again] == [("alpha", "already_sent")]
    (envelope,) = handler.envelopes
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "Partner-earned credit lost: Alpha Ltd (Microsoft, 2026-05)"
    assert "earned USD 6.38 of Microsoft partner-earned credit in 2026-04 and none in 2026-05" in \
        message.get_body().get_content()


# --- coverage and recommendation ----------------------------------------------------------------

def test_coverage_and_recommendation(billed):
    got = {(r["customer"], r["provider"]): r for r in cm.coverage(billed, user(billed, "boss"), P)}
    beta = got[("beta", "AWS")]
    # Compute list 40 + 20 + 200 = 260.00, 60.00 of it covered: 23.08 %. Compute on 3 of the
    # period's 4 days (its rows run to day 4), on demand on one: no steady on-demand spend.
    assert (beta["coverage_pct"], beta["ondemand_cost"], beta["steady_monthly"], beta["saving_passed"]) == \
        ("23.08", "170.00", "0.00", "30.00")
    alpha = got[("alpha", "AWS")]
    assert (alpha["coverage_pct"], alpha["utilization_pct"], alpha["steady_monthly"]) == ("100.00", "70.00", "0.00")


def test_steady_on_demand_spend_and_the_saving_a_commitment_would_bring(tmp_path):
    # alpha runs compute on demand every day of the period's data (days 1–4): 10, 12, 9, 11.00.
    rows = [focus_row(sub=ALPHA, list_cost=b, billed=b, day=d) for d, b in ((1, "10.00"), (2, "12.00"),
                                                                             (3, "9.00"), (4, "11.00"))]
    con = store(tmp_path, config(), rows)
    assert run_billing(con, P).ok
    (alpha,) = cm.coverage(con, user(con, "boss"), P)
    # steady = the lowest day 9.00 × 31 days of May = 279.00; at 30 % off: 83.70 a month.
    assert (alpha["coverage_pct"], alpha["ondemand_cost"], alpha["steady_monthly"], alpha["term"],
            alpha["discount_pct"], alpha["monthly_saving"]) == \
        ("0.00", "42.00", "279.00", "1 year, no upfront", "30", "83.70")


# --- focus-data-toolkit data --------------------------------------------------------------------

def toolkit_config(provider: str, accounts: list[str], policy: str) -> dict:
    share = {"commitment_share_pct": "40"} if policy == "share" else {}
    return {
        "root": {"id": "root", "name": "Root", "kind": "reseller", "currency": "USD"},
        "organizations": [{"id": f"c{i}", "name": f"Customer {i}", "kind": "customer", "parent": "root",
                           "currency": "USD", "plan": "p"} for i in range(len(accounts))],
        "account_mappings": [{"provider": provider, "billing_account_id": a, "customer": f"c{i}"}
                             for i, a in enumerate(accounts)],
        "plans": [{"id": "p", "owner": "root", "rules": [{"basis": "list", "discount_pct": "5"}],
                   "commitments": policy, **share}],
        "fx_rates": [],
        "users": [{"username": "root-admin", "name": "R", "org": "root", "roles": ["admin"], "password_hash": HASH}],
    }


@pytest.mark.parametrize("provider", ["aws", "azure", "gcp"])
def test_toolkit_commitments_run_through_the_inventory(tmp_path, provider):
    from tests.test_ingest_toolkit import generate

    path = generate(tmp_path / "out", provider, "1.2", rows=400, seed=11)
    con = connect(tmp_path / "t.duckdb")
    name, accounts = None, []
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            name = r["ProviderName"]
            accounts.append(r["BillingAccountId"])
    accounts = sorted(set(accounts))
    periods = None
    for policy in ("pass_through", "retain", "share"):
        doc = toolkit_config(name, accounts, policy)
        if periods is None:
            import_config(con, parse_config(yaml.safe_dump(doc), source="t.yaml"), imported_by="test")
            periods = ingest_file(con, path, loaded_by="test").periods
        else:
            reimport(con, doc)
        for period in periods:
            assert run_billing(con, period).ok
            who = user(con, "root-admin")
            inventory = cm.commitment_inventory(con, who, period)
            for c in inventory:
                if c["utilization_pct"] is not None:
                    assert Decimal(0) <= Decimal(c["utilization_pct"]) <= Decimal(100), c
                # each figure is rounded once on its own: their sums agree to a cent
                assert abs(Decimal(c["used_cost"]) + Decimal(c["unused_cost"]) - Decimal(c["amortized_cost"])) \
                    <= CENT
            for r in cm.policy_money(con, who, period):
                assert abs(Decimal(r["saving_passed"]) + Decimal(r["saving_retained"]) - Decimal(r["saving"])) <= CENT
                assert r["policy"] == policy
            cm.coverage(con, who, period)
            cm.credits_by_kind(con, who, period)
    assert con.execute("SELECT count(DISTINCT CommitmentDiscountId) FROM fct_commitments").fetchone()[0] > 0
    assert any(c["utilization_pct"] is not None for p in periods
               for c in cm.commitment_inventory(con, user(con, "root-admin"), p))


# --- the demo: Tailspin's reservation covers Wingtip (docs/demo.md) ----------------------------

def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", "--db", str(db), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=True)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("commit-demo")
    db = tmp / "demo.duckdb"
    cli("demo", "--as-of", "2026-11-25", "--out", str(tmp / "files"), db=db)
    return db


def test_the_demo_violation_through_the_cli(demo_db):
    out = json.loads(cli("report", "commitments", "--period", "2026-10", "--json", "--as", "msp-admin",
                         db=demo_db).stdout)
    (reserved,) = [c for c in out if c["violations"]]
    assert (reserved["provider"], reserved["type"], reserved["owner_customer"]) == ("AWS", "Reserved Instance", "tailspin")
    assert reserved["violations"] == [{"customer": "wingtip", "effective_cost": "298.92", "list_cost": "549.48",
                                       "rows": 235}]
    assert {k for k in ("commitment_id", "provider", "type", "owner_customer", "utilization_pct", "purchase_cost",
                        "amortized_cost", "unused_cost", "covered", "violations")} <= set(reserved)
    # MSP One sees its own customers' commitments only (Tailspin's RI and Woodgrove's savings plan).
    assert {c["owner_customer"] for c in out} == {"tailspin", "woodgrove"}


def test_the_demo_under_used_commitment_and_lost_partner_credit(demo_db):
    con = connect(demo_db)
    try:
        who = user(con, "dist-admin")
        under = cm.under_used(cm.commitment_inventory(con, who, "2026-10"))
        assert [(c["owner_customer"], c["utilization_pct"]) for c in under] == [("kingsbridge-bank", "45.00")]
        assert [(a["customer"], a["previous_period"]) for a in cm.partner_credit_alerts(con, who, "2026-11")] == \
            [("tailspin", "2026-10")]
    finally:
        con.close()


# --- the page, per role (AppTest on the small UI demo store, tests/browser_support.py) -----------

@pytest.fixture(scope="module")
def ui():
    from components import nav
    from tests.browser_support import restore_env, set_env, ui_env, ui_store
    s = ui_store()
    old = set_env(ui_env(s.apptest_db))
    # Only links to page files that exist: this tests the Commitments page, not the navigation
    # table (tests/test_pages_apptest.py checks that), which may list a page still being written.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nav, "PAGES", tuple(p for p in nav.PAGES if (ROOT / p.path).exists()))
        yield s
    restore_env(old)


def open_page(username: str):
    import time

    from streamlit.testing.v1 import AppTest

    from components.auth import AUTH_KEY, session_record
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[AUTH_KEY] = session_record(username, time.time() + 600, method="test")
    at.switch_page("pages/11_Commitments.py")
    return at.run()


def page_text(at) -> str:
    from tests.test_pages_apptest import text_of
    return text_of(at)


def said(elements) -> str:
    """What the alerts say, without the Markdown escapes components.text.md_escape adds."""
    from tests.test_pages_apptest import shown
    return " ".join(shown(e.value) for e in elements)


def test_page_as_the_distributor_admin_shows_all_three_cases(ui):
    at = open_page("dist-admin")
    assert not at.exception
    assert [h.value for h in at.subheader][:3] == ["Single-customer rule", "Inventory", "Partner-earned credit"]
    assert not at.error
    warnings = said(at.warning)
    assert "covered usage of a customer that does not own" in warnings
    assert "Partner-earned credit lost: Tailspin Toys earned USD 2.41" in warnings
    assert "Under-used: Reserved VM Instance D4s v5 1 Year (Microsoft) ran at 44.70 %" in warnings
    assert len(at.dataframe) == 5
    assert "wingtip" in at.dataframe[0].value.to_csv()


def test_page_as_the_reseller_admin_and_account_manager(ui):
    at = open_page("msp-admin")
    assert not at.exception
    assert "wingtip" in at.dataframe[0].value.to_csv()
    assert "kingsbridge-bank" not in page_text(at)        # another reseller's customer
    am = open_page("msp-am")
    assert not am.exception
    text = page_text(am)
    assert "wingtip" in text and "woodgrove" not in text   # not one of Ana's customers
    leader = open_page("msp-leader")
    assert not leader.exception and len(leader.dataframe) == 4   # no credit reaches MSP One: none listed


def test_page_as_the_distributor_account_manager_shows_her_under_used_commitment(ui):
    at = open_page("dist-am")
    assert not at.exception
    assert any("No commitment covered another customer's usage" in s.value for s in at.success)
    assert "Under-used: Reserved VM Instance" in said(at.warning)
    assert "tailspin" not in page_text(at) and "wingtip" not in page_text(at)


def test_page_refuses_customers(ui):
    at = open_page("contoso-user")
    assert not at.exception
    assert at.error and len(at.dataframe) == 0
