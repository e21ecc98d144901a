"""Pricing groups kept at ingest (data/groups.py, landing_groups): built in the ingest
transaction, dropped with replaced slices, rebuilt by a billing run when the account mappings
cut them differently, and always adding up to the landing rows they stand for."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import yaml

from data.billing import run_billing
from data.config import import_config, parse_config
from data.groups import Grouping, current_grouping
from data.ingest import ingest_file
from tests.billing_support import focus_row, invoices_by_buyer, make_store, write_focus
from tests.test_billing import WORKLOAD, two_tier

P = date(2026, 5, 1)


def group_totals(con) -> list[tuple]:
    """Per (delivery, period, grouping): groups, rows and billed cost in landing_groups."""
    return con.execute(
        "SELECT x_IngestId, x_Period, x_Grouping, count(*), sum(x_RowCount), sum(BilledCost) "
        "FROM landing_groups GROUP BY ALL ORDER BY ALL").fetchall()


def landing_totals(con) -> list[tuple]:
    """The same from the active landing rows themselves."""
    return con.execute(
        "SELECT x_IngestId, x_Period, count(*), sum(BilledCost) FROM landing_focus "
        "GROUP BY ALL ORDER BY ALL").fetchall()


def reimport(con, cfg: dict) -> None:
    import_config(con, parse_config(yaml.safe_dump(cfg, sort_keys=False), source="t2.yaml"), imported_by="test")


def test_signature_names_the_tag_cut_only():
    assert len({Grouping().signature, Grouping(("customer",)).signature,
                Grouping(dated_all=True).signature}) == 3
    # which single accounts are cut by day shows in the groups themselves (x_Day), not in the name
    assert Grouping(dated_subs=("AWS\x1f1",)).signature == Grouping(dated_bas=("AWS\x1f1",)).signature \
        == Grouping().signature


def test_ingest_groups_the_delivery_in_its_transaction(tmp_path):
    rows = WORKLOAD + [focus_row(list_cost="1.00", billed="1.00"),            # same key as row 1
                       focus_row(category="Tax", billed="9.00", sku=None)]
    con = make_store(tmp_path, two_tier(), rows)
    got = group_totals(con)
    assert [(g[0], g[1], g[2], g[3], g[4], g[5]) for g in got] == [
        (1, P, Grouping().signature, 3, 4, Decimal("8510.0000000000"))]
    assert [(i, p, n, c) for i, p, _, _, n, c in got] == landing_totals(con)
    assert run_billing(con, P).ok
    assert invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("9500.95")   # the tax row is not priced


def test_a_tax_only_delivery_is_grouped_once(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    ingest_file(con, write_focus(tmp_path / "tax.csv", [focus_row(account="100000000002", category="Tax",
                                                                  billed="9.00", sku=None)]), loaded_by="test")
    stages: list[str] = []
    assert run_billing(con, P, progress=lambda f, m: stages.append(m)).ok
    assert not any("regrouping" in s for s in stages)


def test_redelivery_replaces_the_groups_with_the_slice(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    again = [focus_row(list_cost="100.00", billed="90.00")]
    ingest_file(con, write_focus(tmp_path / "again.csv", again), loaded_by="test")
    assert [(g[0], g[4], g[5]) for g in group_totals(con)] == [(2, 1, Decimal("90.0000000000"))]
    _, inv = run_billing(con, P), invoices_by_buyer(con, P)
    assert inv["contoso"]["subtotal"] == Decimal("95.00")


def test_a_new_tag_rule_regroups_the_period_before_pricing(tmp_path):
    rows = copy.deepcopy(WORKLOAD)
    rows[1]["Tags"] = '{"customer": "fabrikam"}'
    con = make_store(tmp_path, two_tier(), rows)              # grouped without tag values
    assert run_billing(con, P).ok
    assert invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("9500.00")

    cfg = two_tier()
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan"})
    cfg["account_mappings"].append({"tag": "customer", "value": "fabrikam", "customer": "fabrikam"})
    reimport(con, cfg)
    stages: list[str] = []
    assert run_billing(con, P, progress=lambda f, m: stages.append(m)).ok
    assert any("regrouping the FOCUS rows of 1 delivery for pricing" in s for s in stages)
    inv = invoices_by_buyer(con, P)
    assert inv["contoso"]["subtotal"] == Decimal("5700.00")
    assert inv["fabrikam"]["subtotal"] == Decimal("3800.00")
    new = Grouping(("customer",)).signature
    assert {g[2] for g in group_totals(con)} == {new}          # the old cut is gone
    assert current_grouping(con).signature == new

    stages.clear()                                             # and the next run takes the fast path
    assert run_billing(con, P, progress=lambda f, m: stages.append(m)).ok
    assert not any("grouping" in s for s in stages)


def test_only_accounts_with_dated_mappings_are_cut_by_day(tmp_path):
    cfg = two_tier()
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan"})
    cfg["account_mappings"] = [   # sub-account 1 moves mid-month; sub-account 2 never does
        {"provider": "AWS", "sub_account_id": "200000000001", "customer": "contoso", "to": "2026-05-16"},
        {"provider": "AWS", "sub_account_id": "200000000001", "customer": "fabrikam", "from": "2026-05-16"},
        {"provider": "AWS", "sub_account_id": "200000000002", "customer": "contoso"},
    ]
    rows = [focus_row(list_cost="100.00", billed="85.00", day=3),
            focus_row(list_cost="200.00", billed="170.00", day=20),
            focus_row(sub="200000000002", list_cost="10.00", billed="8.50", day=3),
            focus_row(sub="200000000002", list_cost="20.00", billed="17.00", day=20)]
    con = make_store(tmp_path, cfg, rows)
    cut = con.execute("SELECT SubAccountId, x_Day IS NOT NULL, count(*) FROM landing_groups "
                      "GROUP BY ALL ORDER BY ALL").fetchall()
    assert cut == [("200000000001", True, 2), ("200000000002", False, 1)]
    assert run_billing(con, P).ok
    inv = invoices_by_buyer(con, P)
    assert inv["contoso"]["subtotal"] == Decimal("123.50")      # 95.00 + 28.50
    assert inv["fabrikam"]["subtotal"] == Decimal("190.00")


def test_a_dated_billing_account_mapping_cuts_its_rows_by_day(tmp_path):
    cfg = two_tier()
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan"})
    cfg["account_mappings"] = [
        {"provider": "Microsoft", "billing_account_id": "ba-77", "customer": "contoso", "to": "2026-05-10"},
        {"provider": "Microsoft", "billing_account_id": "ba-77", "customer": "fabrikam", "from": "2026-05-10"},
    ]
    rows = [focus_row(provider="Microsoft", account="ba-77", sub=None, list_cost="100.00", billed="85.00", day=d)
            for d in (2, 12)]
    con = make_store(tmp_path, cfg, rows)
    assert run_billing(con, P).ok
    inv = invoices_by_buyer(con, P)
    assert inv["contoso"]["subtotal"] == inv["fabrikam"]["subtotal"] == Decimal("95.00")


def test_a_store_without_groups_gets_them_on_its_first_run(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    con.execute("DELETE FROM landing_groups")                  # as a store from before migration 007
    assert run_billing(con, P).ok
    assert invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("9500.00")
    assert [(i, p, n, c) for i, p, _, _, n, c in group_totals(con)] == landing_totals(con)


def test_a_failed_ingest_leaves_no_groups(tmp_path):
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    before = group_totals(con)
    bad = [focus_row(list_cost="1.00", billed="not money", account="100000000002")]
    try:
        ingest_file(con, write_focus(tmp_path / "bad.csv", bad), loaded_by="test")
    except Exception:                                            # noqa: BLE001 - IngestError, checked elsewhere
        pass
    assert group_totals(con) == before


def test_a_new_dated_mapping_regroups_only_the_deliveries_holding_its_account(tmp_path):
    cfg = two_tier()
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan"})
    cfg["account_mappings"].append({"provider": "AWS", "sub_account_id": "200000000002", "customer": "contoso"})
    con = make_store(tmp_path, cfg, [focus_row(list_cost="100.00", billed="85.00", day=3),
                                     focus_row(list_cost="200.00", billed="170.00", day=20)])
    ingest_file(con, write_focus(tmp_path / "other.csv", [                 # another payer account
        focus_row(account="100000000002", sub="200000000002", list_cost="10.00", billed="8.50", day=d)
        for d in (3, 20)]), loaded_by="test")
    assert run_billing(con, P).ok

    moved = copy.deepcopy(cfg)                  # sub-account 1 moves to fabrikam on the 16th
    moved["account_mappings"][0]["to"] = "2026-05-16"
    moved["account_mappings"].append({"provider": "AWS", "sub_account_id": "200000000001",
                                      "customer": "fabrikam", "from": "2026-05-16"})
    reimport(con, moved)
    stages: list[str] = []
    assert run_billing(con, P, progress=lambda f, m: stages.append(m)).ok
    assert [s for s in stages if "regrouping" in s] == [
        "regrouping the FOCUS rows of 1 delivery for pricing "
        "(tag rules or dated mappings changed since they were loaded)"]
    inv = invoices_by_buyer(con, P)
    assert inv["contoso"]["subtotal"] == Decimal("114.00")      # 95.00 + 19.00
    assert inv["fabrikam"]["subtotal"] == Decimal("190.00")

    reimport(con, cfg)                          # and back: the day cut goes again
    stages.clear()
    assert run_billing(con, P, progress=lambda f, m: stages.append(m)).ok
    assert sum("regrouping the FOCUS rows of 1 delivery" in s for s in stages) == 1
    assert con.execute("SELECT count(*) FROM landing_groups WHERE x_Day IS NOT NULL").fetchone() == (0,)
    assert invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("304.00")
