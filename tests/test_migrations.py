"""Schema migrations carry an existing store's data across (data/store.py, queries/migrations/)."""
from __future__ import annotations

import copy

import duckdb
import pandas as pd

from data.billing import run_billing
from data.store import migrate, migrations
from queries import scope
from tests.billing_support import focus_row, make_store
from tests.test_billing import WORKLOAD, P, two_tier


def store_at(version: int) -> duckdb.DuckDBPyConnection:
    """An in-memory store with the migrations up to `version` applied, as an older Tierline left it."""
    con = duckdb.connect()
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    for number, name, path in migrations():
        if number <= version:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [number, name])
    return con


def test_008_moves_the_wide_ledger_into_groups_and_prices(tmp_path):
    rows = copy.deepcopy(WORKLOAD) + [focus_row(category="Credit", list_cost="-50.00", billed="-50.00"),
                                      focus_row(sub="200000000099", list_cost="7.00", billed="6.00")]
    cfg = two_tier(customer_ccy="EUR", fx=[{"period": "2026-05", "from": "USD", "to": "EUR", "rate": "0.9200"}])
    priced = make_store(tmp_path, cfg, rows)
    assert run_billing(priced, P).ok
    columns = [c[0] for c in priced.execute("DESCRIBE fct_ledger").fetchall()]
    columns = columns[:columns.index("x_GroupId") + 1]   # later migrations append their columns
    assert columns[-1] == "x_GroupId"          # the view keeps the old table's column order
    keep = [c for c in columns if c != "x_GroupId"]
    before = priced.table("fct_ledger").select(*keep).order("ALL").fetchall()
    assert len(before) == 5   # 2 usage groups × 2 edges + the credit the distributor retains (unmapped: none)

    old = store_at(7)                           # fct_ledger is still a table here
    ledger = old.table("fct_ledger")
    assert ledger.columns == [*keep, "x_GroupId"]   # the table's group id came empty (migration 005)
    for row in before:
        ledger.insert([*row, None])
    assert migrate(old) == [n for n, _, _ in migrations() if n > 7]
    after = old.table("fct_ledger").select(*keep).order("ALL").fetchall()
    assert after == before
    assert old.execute("SELECT count(*), count(DISTINCT x_GroupId) FROM fct_groups").fetchone() == (3, 3)
    # both edges of a group point at the same group row
    assert old.execute("SELECT count(DISTINCT x_GroupId) FROM fct_prices").fetchone() == (3,)


def copy_into(old: duckdb.DuckDBPyConnection, new: duckdb.DuckDBPyConnection) -> None:
    """Every table of the older store `old` filled from the same table of `new` (whose schema
    is a later one: it has every column the older has, maybe more)."""
    for (table,) in old.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'schema_migrations'"
                                ).fetchall():
        old.from_arrow(new.table(table).select(*old.table(table).columns).to_arrow_table()).insert_into(table)


def test_009_keeps_earlier_runs_drillable_with_the_decisions_they_were_made_with(tmp_path):
    cfg = two_tier(customer_plan_extra={"commitments": "share", "commitment_share_pct": "50"})
    cfg["organizations"].append({"id": "fabrikam", "name": "Fabrikam", "kind": "customer",
                                 "parent": "msp-one", "currency": "USD", "plan": "msp-plan"})
    cfg["account_mappings"].append({"tag": "customer", "value": "fabrikam", "customer": "fabrikam"})
    rows = copy.deepcopy(WORKLOAD) + [
        focus_row(list_cost="100.00", billed="60.00", commitment_id="ri-1", commitment_status="Used", day=2),
        focus_row(list_cost="10.00", billed="9.00", tags='{"customer": "fabrikam"}', day=3),
        focus_row(sub="200000000099", list_cost="7.00", billed="6.00")]          # unassigned
    priced = make_store(tmp_path, cfg, rows)
    assert run_billing(priced, P).ok
    mo = scope.scope_for_user(priced, "mo")
    want = {c: scope.customer_rows(priced, mo, c, P) for c in ("contoso", "fabrikam")}
    assert len(want["contoso"]) == 3 and len(want["fabrikam"]) == 1

    old = store_at(8)
    copy_into(old, priced)
    assert migrate(old) == [n for n, _, _ in migrations() if n > 8]
    assert old.execute("SELECT tag_keys FROM billing_runs").fetchall() == [(["customer"],)]
    for customer, frame in want.items():
        pd.testing.assert_frame_equal(scope.customer_rows(old, mo, customer, P), frame)
    assert old.execute("SELECT count(*) FROM fct_accounts WHERE x_CustomerId IS NULL").fetchone() == (1,)


def test_012_stores_the_basis_each_edge_decided_and_earlier_runs_get_the_same_decision(tmp_path):
    # the customer shares 50 % of commitment savings; the reseller buys cost-plus (follows the
    # distributor's price, which follows list): every code but C is in play
    cfg = two_tier(reseller_rules=[{"basis": "list", "discount_pct": "10"}],
                   customer_rules=[{"basis": "cost", "markup_pct": "4"},
                                   {"match": {"ServiceName": "AmazonEC2"}, "basis": "list", "discount_pct": "5"}],
                   customer_plan_extra={"commitments": "share", "commitment_share_pct": "50",
                                        "credits": "pass_through"},
                   reseller_plan_extra={"credits": "pass_through"})
    rows = copy.deepcopy(WORKLOAD) + [
        focus_row(list_cost="100.00", billed="60.00", commitment_id="ri-1", commitment_status="Used", day=2),
        focus_row(list_cost="0", billed="5.00", commitment_id="ri-1", commitment_status="Unused", day=2),
        focus_row(category="Credit", list_cost="-50.00", billed="-50.00", day=4)]
    priced = make_store(tmp_path, cfg, rows)
    assert run_billing(priced, P).ok
    key = ("SELECT x_Depth, ServiceName, ChargeCategory, CommitmentDiscountStatus, x_BasisCode, x_ShareFrac "
           "FROM fct_ledger ORDER BY ALL")
    decided = priced.execute(key).fetchall()
    assert {r[4] for r in decided} >= {"L", "E", "S", "B"}, decided
    assert all((r[5] is not None) == (r[4] == "S") for r in decided), decided
    mo = scope.scope_for_user(priced, "mo")
    want = scope.customer_rows(priced, mo, "contoso", P)

    old = store_at(11)
    copy_into(old, priced)
    assert old.execute("SELECT count(*) FROM fct_prices").fetchone()[0] == len(decided)
    assert migrate(old) == [n for n, _, _ in migrations() if n > 11]
    assert old.execute(key).fetchall() == decided
    pd.testing.assert_frame_equal(scope.customer_rows(old, mo, "contoso", P), want)


def test_the_basis_is_decided_in_one_statement():
    """Which FOCUS amount a price follows is decided by the billing run alone (fct_price_edge);
    readers map the stored code to an amount with x_basis_amount. Migrations are history."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    deciding = sorted(str(p.relative_to(root)) for p in (root / "queries").rglob("*.sql")
                      if "migrations" not in p.parts and "commitments = 'retain'" in p.read_text())
    assert deciding == ["queries/ledger/fct_price_edge.sql"]
