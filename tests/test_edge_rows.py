"""How landed rows are stored and found again for one customer (docs/performance.md, "The
portal's reads"): a delivery lands ordered by period, provider, sub-account, billing account and
charge start, so one customer's rows sit together; rpt_edge_rows (migration 024) narrows to the
edge's sub-accounts before the pricing-key join and still finds rows that carry no sub-account;
each delivery slice keeps the latest charge start it loaded (migration 025) for the freshness
stamp."""
from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from data.billing import run_billing
from queries import scope
from queries.reports import portal
from tests.billing_support import focus_row, make_store
from tests.test_billing import HASH

P = date(2026, 5, 1)


def config() -> dict:
    """msp-direct → contoso (AWS sub-account 200000000001) and fabrikam (every row of AWS billing
    account 100000000009, whose rows carry no sub-account)."""
    return {
        "root": {"id": "msp-direct", "name": "MSP Direct", "kind": "reseller", "currency": "USD"},
        "organizations": [
            {"id": "contoso", "name": "Contoso Ltd", "kind": "customer", "parent": "msp-direct",
             "currency": "USD", "plan": "direct-plan"},
            {"id": "fabrikam", "name": "Fabrikam", "kind": "customer", "parent": "msp-direct",
             "currency": "USD", "plan": "direct-plan"},
        ],
        "account_mappings": [
            {"provider": "AWS", "sub_account_id": "200000000001", "customer": "contoso"},
            {"provider": "AWS", "billing_account_id": "100000000009", "customer": "fabrikam"},
        ],
        "plans": [{"id": "direct-plan", "owner": "msp-direct",
                   "rules": [{"basis": "list", "discount_pct": "5"}]}],
        "fx_rates": [],
        "users": [{"username": "ana", "name": "Ana", "org": "msp-direct", "roles": ["admin"],
                   "password_hash": HASH}],
    }


def rows() -> list[dict]:
    out = []
    for day in range(1, 11):
        out.append(focus_row(sub="200000000001", list_cost=f"{day}.00", billed=f"{day}.00", day=day))
        out.append(focus_row(sub="200000000002", list_cost="1.00", billed="1.00", day=day))   # unmapped
        out.append(focus_row(account="100000000009", sub=None, list_cost=f"{2 * day}.00",
                             billed=f"{2 * day}.00", service="AmazonS3", sku="SKU-2", day=day))
    random.Random(7).shuffle(out)                       # a provider's file in no useful order
    return out


def test_a_delivery_lands_in_the_order_the_portal_reads_it(tmp_path):
    con = make_store(tmp_path, config(), rows())
    landed = con.execute("SELECT ProviderName, SubAccountId, BillingAccountId, ChargePeriodStart "
                         "FROM landing_focus ORDER BY rowid").fetchall()
    assert len(landed) == 30
    assert landed == sorted(landed, key=lambda r: (r[0], r[1] is None, r[1] or "", r[2], r[3]))


def test_rows_without_a_sub_account_are_found_for_their_customer(tmp_path):
    con = make_store(tmp_path, config(), rows())
    assert run_billing(con, P).ok
    found = {}
    for customer in ("contoso", "fabrikam"):
        got = con.execute("SELECT count(*), sum(x_RowBasis), count(DISTINCT coalesce(SubAccountId, '-')) "
                          "FROM rpt_edge_rows(?, 'msp-direct', ?, NULL, NULL, NULL, false)",
                          [P, customer]).fetchone()
        found[customer] = got
    assert found["contoso"] == (10, Decimal("55.0000000000"), 1)
    assert found["fabrikam"] == (10, Decimal("110.0000000000"), 1)   # every row: no sub-account
    fabrikam = scope.Scope(username="f", org_id="fabrikam", roles=frozenset({"customer"}),
                           visible_orgs=frozenset({"fabrikam"}))
    days = portal.daily(con, fabrikam, "fabrikam", P)["frame"]
    assert len(days) == 10 and sum(days["price"], Decimal(0)) == Decimal("104.5")   # 110 less 5 %


def test_each_slice_keeps_the_latest_charge_it_loaded_for_the_freshness_stamp(tmp_path):
    con = make_store(tmp_path, config(), rows())
    assert run_billing(con, P).ok
    through = dict(con.execute("SELECT BillingAccountId, x_Through FROM delivery_slices").fetchall())
    assert through == {"100000000001": datetime(2026, 5, 10), "100000000009": datetime(2026, 5, 10)}
    contoso = scope.Scope(username="c", org_id="contoso", roles=frozenset({"customer"}),
                          visible_orgs=frozenset({"contoso"}))
    fresh = portal.freshness(con, contoso, "contoso", P)
    assert [(f["provider"], f["through"]) for f in fresh] == [("AWS", date(2026, 5, 10))]
    assert fresh[0]["text"].startswith("AWS through 10 May, loaded ")


def test_025_gives_slices_stored_before_it_their_latest_charge(tmp_path):
    from data.store import migrate
    con = make_store(tmp_path, config(), rows())
    con.execute("ALTER TABLE delivery_slices DROP COLUMN x_Through")      # as a store before 025
    con.execute("DELETE FROM schema_migrations WHERE version = 25")
    assert migrate(con) == [25]
    through = con.execute("SELECT DISTINCT x_Through FROM delivery_slices").fetchall()
    assert through == [(datetime(2026, 5, 10),)]


def test_the_store_s_memory_limit_is_bounded_and_can_be_set(tmp_path, monkeypatch):
    """Past its memory limit DuckDB spills instead of growing (docs/performance.md): half the
    machine and at most 8 GiB unless TIERLINE_MEMORY_LIMIT says otherwise."""
    from data.store import MEMORY_ENV, connect, memory_limit
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    mib = int(memory_limit().removesuffix("MiB"))
    assert 0 < mib <= 8 * 1024
    monkeypatch.setenv(MEMORY_ENV, "3GB")
    assert memory_limit() == "3GB"
    con = connect(tmp_path / "limited.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "2.7 GiB"
