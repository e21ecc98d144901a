"""The SQL billing run against hand-computed expectations (docs/pricing.md, DOMAIN §6).

Each test writes its configuration and FOCUS rows inline, ingests them through the real ingest
path, runs `data.billing.run_billing` and reads the drafted invoices.
"""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import bcrypt
import pytest
import yaml

from data.billing import issue_invoices, run_billing
from data.config import import_config, parse_config
from queries import scope
from tests.billing_support import focus_row, invoices_by_buyer, make_store

P = date(2026, 5, 1)
HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()


def d(x: str) -> Decimal:
    return Decimal(x)


def two_tier(reseller_rules=None, customer_rules=None, *, customer_ccy="USD", reseller_ccy="USD",
             customer_plan_extra=None, reseller_plan_extra=None, fx=None, tax="0") -> dict:
    """northwind (distributor) → msp-one (reseller) → contoso (customer); AWS sub-account 200000000001."""
    return {
        "root": {"id": "northwind", "name": "Northwind Distribution", "kind": "distributor", "currency": "USD"},
        "organizations": [
            {"id": "msp-one", "name": "MSP One", "kind": "reseller", "parent": "northwind",
             "currency": reseller_ccy, "plan": "dist-plan"},
            {"id": "contoso", "name": "Contoso Ltd", "kind": "customer", "parent": "msp-one",
             "currency": customer_ccy, "plan": "msp-plan", "tax_rate_pct": tax},
        ],
        "account_mappings": [{"provider": "AWS", "sub_account_id": "200000000001", "customer": "contoso"}],
        "plans": [
            {"id": "dist-plan", "owner": "northwind",
             "rules": reseller_rules or [{"basis": "list", "discount_pct": "10"}], **(reseller_plan_extra or {})},
            {"id": "msp-plan", "owner": "msp-one",
             "rules": customer_rules or [{"basis": "list", "discount_pct": "5"}], **(customer_plan_extra or {})},
        ],
        "fx_rates": fx or [],
        "users": [
            {"username": "ana", "name": "Ana", "org": "northwind", "roles": ["admin"], "password_hash": HASH},
            {"username": "mo", "name": "Mo", "org": "msp-one", "roles": ["admin"], "password_hash": HASH},
        ],
    }


def one_tier(customer_rules=None, **plan_extra) -> dict:
    """msp-direct (reseller, root) → contoso."""
    return {
        "root": {"id": "msp-direct", "name": "MSP Direct", "kind": "reseller", "currency": "USD"},
        "organizations": [
            {"id": "contoso", "name": "Contoso Ltd", "kind": "customer", "parent": "msp-direct",
             "currency": "USD", "plan": "direct-plan"},
        ],
        "account_mappings": [{"provider": "AWS", "sub_account_id": "200000000001", "customer": "contoso"}],
        "plans": [{"id": "direct-plan", "owner": "msp-direct",
                   "rules": customer_rules or [{"basis": "list", "discount_pct": "5"}], **plan_extra}],
        "fx_rates": [],
        "users": [{"username": "ana", "name": "Ana", "org": "msp-direct", "roles": ["admin"], "password_hash": HASH}],
    }


WORKLOAD = [  # DOMAIN §6: list 10,000.00, billed 8,500.00
    focus_row(list_cost="6000.00", billed="5100.00"),
    focus_row(list_cost="4000.00", billed="3400.00", service="AmazonS3", service_category="Storage", sku="SKU-2"),
]


def bill(con, period=P):
    result = run_billing(con, period)
    return result, invoices_by_buyer(con, period)


def margins(con, username: str | None = None) -> dict[str, dict]:
    who = scope.system_scope(con) if username is None else scope.scope_for_user(con, username)
    return {m["org"]: m for m in scope.margin_report(con, who, P)}


def test_domain_example_two_tier(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    result, inv = bill(con)
    assert result.ok and result.rows_priced == 2 and result.rows_unassigned == 0
    assert inv["msp-one"]["subtotal"] == d("9000.00") and inv["msp-one"]["seller"] == "northwind"
    assert inv["contoso"]["subtotal"] == d("9500.00") and inv["contoso"]["seller"] == "msp-one"
    dist = margins(con)["northwind"]
    assert (d(dist["revenue"]), d(dist["cost"]), d(dist["margin"])) == (d("9000.00"), d("8500.00"), d("500.00"))
    msp = margins(con, "mo")["msp-one"]
    assert (d(msp["revenue"]), d(msp["cost"]), d(msp["margin"])) == (d("9500.00"), d("9000.00"), d("500.00"))


def test_domain_example_one_tier(tmp_path):
    con = make_store(tmp_path, one_tier(), WORKLOAD)
    result, inv = bill(con)
    assert result.ok
    assert inv["contoso"]["subtotal"] == d("9500.00")
    m = margins(con)["msp-direct"]
    assert (d(m["revenue"]), d(m["cost"]), d(m["margin"])) == (d("9500.00"), d("8500.00"), d("1000.00"))


def test_rule_specificity_sku_beats_service_beats_category_beats_provider(tmp_path):
    rules = [
        {"basis": "list", "discount_pct": "1"},
        {"match": {"ProviderName": "AWS"}, "basis": "list", "discount_pct": "2"},
        {"match": {"ServiceCategory": "Compute"}, "basis": "list", "discount_pct": "3"},
        {"match": {"ServiceName": "AmazonEC2"}, "basis": "list", "discount_pct": "4"},
        {"match": {"SkuId": "SKU-1"}, "basis": "list", "discount_pct": "50"},
    ]
    rows = [
        focus_row(list_cost="100.00", billed="80.00", sku="SKU-1"),                 # SkuId → 50 %
        focus_row(list_cost="100.00", billed="80.00", sku="SKU-9"),                 # ServiceName → 4 %
        focus_row(list_cost="100.00", billed="80.00", service="AmazonLightsail", sku="X"),  # Compute → 3 %
        focus_row(list_cost="100.00", billed="80.00", service="AmazonS3", service_category="Storage", sku="Y"),  # AWS → 2 %
        focus_row(provider="Microsoft", account="ba-1", sub="200000000001", list_cost="100.00", billed="80.00",
                  service="SQL Database", service_category="Databases", sku="Z"),       # empty → 1 %
    ]
    cfg = two_tier(customer_rules=rules)
    cfg["account_mappings"].append({"provider": "Microsoft", "sub_account_id": "200000000001", "customer": "contoso"})
    con = make_store(tmp_path, cfg, rows)
    _, inv = bill(con)
    lines = inv["contoso"]["lines"]
    assert lines["AWS AmazonEC2"] == d("146.00")          # 50.00 + 96.00
    assert lines["AWS AmazonLightsail"] == d("97.00")
    assert lines["AWS AmazonS3"] == d("98.00")
    assert lines["Microsoft SQL Database"] == d("99.00")


def test_cost_plus_on_a_two_level_chain(tmp_path):
    cfg = two_tier(reseller_rules=[{"basis": "cost", "markup_pct": "5"}],
                   customer_rules=[{"basis": "cost", "markup_pct": "12"}])
    con = make_store(tmp_path, cfg, [focus_row(list_cost="1200.00", billed="1000.00")])
    _, inv = bill(con)
    assert inv["msp-one"]["subtotal"] == d("1050.00")     # 1000 × 1.05
    assert inv["contoso"]["subtotal"] == d("1176.00")     # 1050 × 1.12


@pytest.mark.parametrize("mode, expected", [
    ("graduated", d("11960.00")),   # 12,000 − 2 % × 2,000
    ("volume", d("11760.00")),      # 12,000 − 2 % × 12,000
])
def test_tiers_crossing_a_band(tmp_path, mode, expected):
    tiers = {"mode": mode, "bands": [{"from": "0", "discount_pct": "0"}, {"from": "10000", "discount_pct": "2"},
                                     {"from": "50000", "discount_pct": "5"}]}
    cfg = two_tier(customer_rules=[{"basis": "list"}], customer_plan_extra={"tiers": tiers})
    rows = [focus_row(list_cost="9000.00", billed="7000.00"),
            focus_row(list_cost="3000.00", billed="2000.00", service="AmazonS3", service_category="Storage")]
    con = make_store(tmp_path, cfg, rows)
    _, inv = bill(con)
    assert inv["contoso"]["subtotal"] == expected
    # the discount is allocated back pro rata: EC2 carries 3/4 of it
    discount = d("12000.00") - expected
    assert inv["contoso"]["lines"]["AWS AmazonEC2"] == d("9000.00") - discount * 3 / 4


def test_fees_fixed_and_percentage(tmp_path):
    fees = [{"name": "Managed service", "amount": "500.00"}, {"name": "Support", "pct_of_usage": "3"}]
    cfg = two_tier(customer_plan_extra={"fees": fees}, tax="20")
    con = make_store(tmp_path, cfg, WORKLOAD)
    _, inv = bill(con)
    c = inv["contoso"]
    assert c["lines"]["Managed service"] == d("500.00")
    assert c["lines"]["Support"] == d("285.00")           # 3 % of 9,500
    assert c["subtotal"] == d("10285.00")
    assert c["tax"] == d("2057.00") and c["total"] == d("12342.00")


def test_credits_passed_by_distributor_retained_by_reseller(tmp_path):
    rows = WORKLOAD + [focus_row(category="Credit", list_cost="0", billed="-100.00", service="AmazonEC2")]
    cfg = two_tier(reseller_plan_extra={"credits": "pass_through"}, customer_plan_extra={"credits": "retain"})
    con = make_store(tmp_path, cfg, rows)
    _, inv = bill(con)
    assert inv["msp-one"]["lines"]["AWS credits"] == d("-100.00")
    assert inv["msp-one"]["subtotal"] == d("8900.00")
    assert "AWS credits" not in inv["contoso"]["lines"]
    assert inv["contoso"]["subtotal"] == d("9500.00")
    msp = margins(con, "mo")["msp-one"]
    assert d(msp["margin"]) == d("600.00")                # 500 + the retained 100 credit


def test_credit_retained_by_distributor_reaches_nobody(tmp_path):
    rows = WORKLOAD + [focus_row(category="Credit", list_cost="0", billed="-100.00")]
    con = make_store(tmp_path, two_tier(), rows)
    _, inv = bill(con)
    assert inv["msp-one"]["subtotal"] == d("9000.00")
    assert d(margins(con)["northwind"]["margin"]) == d("600.00")


def test_eur_customer_of_usd_reseller_of_usd_distributor(tmp_path):
    cfg = two_tier(customer_ccy="EUR", fx=[{"period": "2026-05", "from": "USD", "to": "EUR", "rate": "0.9200"}])
    con = make_store(tmp_path, cfg, WORKLOAD)
    _, inv = bill(con)
    assert inv["msp-one"]["currency"] == "USD" and inv["msp-one"]["subtotal"] == d("9000.00")
    assert inv["contoso"]["currency"] == "EUR"
    assert inv["contoso"]["lines"]["AWS AmazonEC2"] == d("5244.00")   # 5,700 × 0.92
    assert inv["contoso"]["subtotal"] == d("8740.00")


def test_missing_fx_rate_fails_the_run_and_keeps_nothing(tmp_path):
    cfg = two_tier(customer_ccy="EUR", fx=[{"period": "2026-04", "from": "USD", "to": "EUR", "rate": "0.9"}])
    try:
        con = make_store(tmp_path, cfg, WORKLOAD)
    except Exception as exc:                                  # the config itself may refuse it
        assert "EUR" in str(exc)
        return
    result, inv = bill(con)
    assert not result.ok and any(p["kind"] == "no_fx" for p in result.problems)
    assert inv == {}


def test_jpy_has_no_minor_unit(tmp_path):
    cfg = two_tier(customer_ccy="JPY", fx=[{"period": "2026-05", "from": "USD", "to": "JPY", "rate": "151.37"}])
    con = make_store(tmp_path, cfg, [focus_row(list_cost="10.00", billed="8.00")])
    _, inv = bill(con)
    assert inv["contoso"]["subtotal"] == d("1438")          # 9.50 × 151.37 = 1,438.015 → 1,438


def test_half_cent_tie_rounds_away_from_zero(tmp_path):
    rows = [focus_row(list_cost="0.01", billed="0.01"),
            focus_row(category="Credit", list_cost="0", billed="-0.01", service="AmazonS3")]
    cfg = two_tier(customer_rules=[{"basis": "list", "discount_pct": "50"}],
                   reseller_plan_extra={"credits": "pass_through"},
                   customer_plan_extra={"credits": "pass_through", "fees": [{"name": "Support", "pct_of_usage": "50"}]})
    con = make_store(tmp_path, cfg, rows)
    _, inv = bill(con)
    assert inv["contoso"]["lines"]["AWS AmazonEC2"] == d("0.01")     # 0.005 → 0.01
    assert inv["contoso"]["lines"]["AWS credits"] == d("-0.01")
    assert inv["contoso"]["lines"]["Support"] == d("0.00") or "Support" not in inv["contoso"]["lines"]  # 0.0025


def test_negative_amounts_refund_and_adjustment(tmp_path):
    rows = WORKLOAD + [
        focus_row(list_cost="-200.00", billed="-170.00"),                        # a usage refund
        focus_row(category="Adjustment", list_cost="0", billed="25.00", service="AmazonEC2"),
    ]
    con = make_store(tmp_path, two_tier(), rows)
    _, inv = bill(con)
    # EC2: (6,000 − 200) × 0.95 = 5,510 plus the adjustment at the seller's cost (25 → 25 → 25)
    assert inv["contoso"]["lines"]["AWS AmazonEC2"] == d("5535.00")


def test_row_with_no_matching_rule_is_reported_and_the_run_fails(tmp_path):
    cfg = two_tier(customer_rules=[{"match": {"ServiceName": "AmazonEC2"}, "basis": "list", "discount_pct": "5"}])
    con = make_store(tmp_path, cfg, WORKLOAD)
    result, inv = bill(con)
    assert not result.ok and result.rows_unpriced == 1
    assert result.problems[0]["kind"] == "no_rule" and result.problems[0]["buyer"] == "contoso"
    assert "AmazonS3" in result.problems[0]["detail"]
    assert inv == {}                                        # nothing drafted


def test_every_run_is_audited_ok_or_failed(tmp_path):
    def audited(con):
        return con.execute("SELECT username, org, target, detail FROM audit_log WHERE action = 'billing_run'"
                           ).fetchall()

    con = make_store(tmp_path, two_tier(), WORKLOAD)
    assert run_billing(con, P, run_by="ana").ok
    assert audited(con) == [("ana", "northwind", "2026-05", "run 1 ok: 2 rows priced, 0 unpriced, 2 drafts")]
    no_s3 = two_tier(customer_rules=[{"match": {"ServiceName": "AmazonEC2"}, "basis": "list", "discount_pct": "5"}])
    con = make_store(tmp_path, no_s3, WORKLOAD, name="failing")
    assert not run_billing(con, P).ok
    assert audited(con) == [("system", "northwind", "2026-05",
                             "run 1 failed: 2 rows priced, 1 unpriced, 0 drafts")]
    root = scope.Scope(username="ana", org_id="northwind", roles=frozenset({"admin"}),
                       visible_orgs=scope._subtree(con, "northwind"))
    shown = scope.audit_entries(con, root)          # the root's admins see the run in full
    assert "1 unpriced" in shown[shown["action"] == "billing_run"].iloc[0]["detail"]
    reseller = scope.Scope(username="mo", org_id="msp-one", roles=frozenset({"admin"}),
                           visible_orgs=scope._subtree(con, "msp-one"))
    assert "billing_run" not in set(scope.audit_entries(con, reseller)["action"])


def test_unassigned_rows_are_reported_and_reconciled(tmp_path):
    rows = WORKLOAD + [
        focus_row(sub="299999999999", list_cost="50.00", billed="40.00"),
        focus_row(category="Tax", list_cost="0", billed="85.00", service="Tax", sku=None),
        focus_row(category="Credit", list_cost="0", billed="-10.00"),
    ]
    con = make_store(tmp_path, two_tier(), rows)
    result, _ = bill(con)
    assert result.ok and result.rows_unassigned == 1 and result.unassigned_cost == {"USD": d("40.00")}
    (rec,) = scope.reconciliation(con, scope.system_scope(con), P)
    assert d(rec["provider_total"]) == d("8615.00")
    assert (d(rec["assigned"]), d(rec["unassigned"]), d(rec["retained_credits"]), d(rec["provider_tax"])) == (
        d("8500.00"), d("40.00"), d("-10.00"), d("85.00"))
    assert d(rec["difference"]) == 0


def test_rerun_replaces_drafts_and_never_touches_issued(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    bill(con)
    issued = issue_invoices(con, P, seller="msp-one", issued_by="test")
    assert [i[1] for i in issued] == ["contoso"]
    before = con.execute("SELECT * FROM invoices WHERE status = 'issued'").fetchall()
    result, inv = bill(con)
    assert result.ok and result.invoices_kept_issued == 1
    assert con.execute("SELECT * FROM invoices WHERE status = 'issued'").fetchall() == before
    assert con.execute("SELECT count(*) FROM invoices WHERE x_Period = ?", [P]).fetchone()[0] == 2


def test_tag_rule_wins_over_account_mapping(tmp_path):
    cfg = two_tier()
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer", "parent": "msp-one",
                                 "currency": "USD", "plan": "msp-plan"})
    cfg["account_mappings"].append({"tag": "customer", "value": "fabrikam", "customer": "fabrikam"})
    rows = copy.deepcopy(WORKLOAD)
    rows[1]["Tags"] = '{"customer": "fabrikam"}'
    con = make_store(tmp_path, cfg, rows)
    _, inv = bill(con)
    assert inv["contoso"]["subtotal"] == d("5700.00")
    assert inv["fabrikam"]["subtotal"] == d("3800.00")


def test_late_data_for_an_issued_period_becomes_a_correction_on_the_next_invoice(tmp_path):
    from data.ingest import ingest_file
    from tests.billing_support import write_focus

    june = date(2026, 6, 1)
    may_rows = list(WORKLOAD)
    june_rows = [focus_row(period="2026-06", list_cost="1000.00", billed="850.00")]
    con = make_store(tmp_path, two_tier(), may_rows + june_rows)
    bill(con, P)
    bill(con, june)
    issue_invoices(con, P, issued_by="test")
    issued_may = con.execute("SELECT * FROM invoices WHERE status = 'issued' ORDER BY invoice_id").fetchall()

    # AWS re-delivers May with 200.00 more list cost on EC2: the store is restated, May's invoices are not.
    redelivered = [dict(may_rows[0], ListCost="6200.00", ContractedCost="6200.00", BilledCost="5270.00",
                        EffectiveCost="5270.00"), may_rows[1]]
    result = ingest_file(con, write_focus(tmp_path / "may-again.csv", redelivered), loaded_by="test")
    assert result.status == "replaced"
    may, _ = bill(con, P)
    assert may.ok and may.invoices_kept_issued == 2
    assert con.execute("SELECT * FROM invoices WHERE status = 'issued' ORDER BY invoice_id").fetchall() == issued_may

    _, inv = bill(con, june)
    numbers = dict(con.execute("SELECT buyer, number FROM invoices WHERE status = 'issued'").fetchall())
    assert inv["contoso"]["lines"][f"Correction to 2026-05 (invoice {numbers['contoso']})"] == d("190.00")  # 200 × 0.95
    assert inv["msp-one"]["lines"][f"Correction to 2026-05 (invoice {numbers['msp-one']})"] == d("180.00")  # 200 × 0.90
    assert inv["contoso"]["subtotal"] == d("950.00") + d("190.00")

    # Once June is issued with the correction, re-pricing never carries it twice.
    issue_invoices(con, june, issued_by="test")
    bill(con, P)
    july_rows = [focus_row(period="2026-07", list_cost="100.00", billed="85.00")]
    ingest_file(con, write_focus(tmp_path / "july.csv", july_rows), loaded_by="test")
    _, inv = bill(con, date(2026, 7, 1))
    assert not any(k.startswith("Correction") for k in inv["contoso"]["lines"])


def test_provider_correction_rows_get_a_line_of_their_own(tmp_path):
    rows = WORKLOAD + [focus_row(list_cost="-100.00", billed="-85.00", charge_class="Correction")]
    con = make_store(tmp_path, two_tier(), rows)
    _, inv = bill(con)
    assert inv["contoso"]["lines"]["AWS AmazonEC2"] == d("5700.00")
    assert inv["contoso"]["lines"]["AWS AmazonEC2 (correction of 2026-05)"] == d("-95.00")


def test_fx_rates_of_an_issued_period_are_locked(tmp_path):
    import yaml

    from data.config import ConfigError, import_config, parse_config

    cfg = two_tier(customer_ccy="EUR", fx=[{"period": "2026-05", "from": "USD", "to": "EUR", "rate": "0.9200"}])
    con = make_store(tmp_path, cfg, WORKLOAD)
    bill(con)
    issue_invoices(con, P, issued_by="test")
    cfg["fx_rates"][0]["rate"] = "0.9300"
    with pytest.raises(ConfigError, match=r"fx_rates\[0\]\.rate.*locked USD->EUR rate of 2026-05.*allowed: 0.92"):
        import_config(con, parse_config(yaml.safe_dump(cfg, sort_keys=False), source="t.yaml"))
    cfg["fx_rates"][0]["rate"] = "0.92"          # the same rate, written differently, is fine
    import_config(con, parse_config(yaml.safe_dump(cfg, sort_keys=False), source="t.yaml"))


def test_the_row_drill_down_reads_the_runs_decisions_not_todays_configuration(tmp_path):
    """Between two runs the configuration may change (a sub-account moves, a plan's commitment
    policy changes); until the period is billed again, the rows behind the ledger must still be
    the ones it priced, at the prices it gave them, adding up to the draft invoice."""
    cfg = two_tier(customer_plan_extra={"commitments": "share", "commitment_share_pct": "50"})
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan"})
    rows = [focus_row(list_cost="100.00", billed="60.00", commitment_id="ri-1", commitment_status="Used"),
            focus_row(list_cost="50.00", billed="50.00", service="AmazonS3", service_category="Storage",
                      sku="SKU-2")]
    con = make_store(tmp_path, cfg, rows)
    assert run_billing(con, P).ok
    mo = scope.scope_for_user(con, "mo")

    def drill(customer):
        return sorted(scope.customer_rows(con, mo, customer, P)["price"])

    # covered usage shared 50 %: 100 − 0.5 × (100 − 60) = 80 × 0.95 = 76; S3 50 × 0.95 = 47.50
    assert drill("contoso") == [Decimal("47.5000000000"), Decimal("76.0000000000")]
    assert invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("123.50")

    moved = copy.deepcopy(cfg)
    moved["account_mappings"] = [{"provider": "AWS", "sub_account_id": "200000000001", "customer": "fabrikam"}]
    moved["plans"][1].update(commitments="retain")
    moved["plans"][1].pop("commitment_share_pct")
    import_config(con, parse_config(yaml.safe_dump(moved, sort_keys=False), source="t2.yaml"), imported_by="test")
    assert drill("contoso") == [Decimal("47.5000000000"), Decimal("76.0000000000")]
    assert drill("fabrikam") == []

    assert run_billing(con, P).ok                    # billed again: now the move and the policy count
    assert drill("contoso") == []
    assert drill("fabrikam") == [Decimal("47.5000000000"), Decimal("95.0000000000")]
    assert invoices_by_buyer(con, P)["fabrikam"]["subtotal"] == Decimal("142.50")
