"""Provider corrections say what they correct (issue #11, docs/pricing.md §7): a delivery's rows
of ChargeClass 'Correction' get one invoice line per month they correct, named from the rows'
ChargePeriodStart ("AWS AmazonEC2 (correction of 2026-09)"), the row drill-down and the FOCUS
export reach each line's own rows (none twice), and the reference engine agrees with the run."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from data.billing import run_billing
from data.focus_export import focus_rows, line_key
from pricing.engine import bill_period
from pricing.invoice import corrected_period, service_label
from queries import scope, sql
from tests.billing_support import (
    admin_scope,
    assert_run_matches_engine,
    engine_inputs,
    focus_row,
    invoices_by_buyer,
    make_store,
    model_rows,
)
from tests.test_billing import two_tier

OCT = date(2026, 10, 1)


def correction(list_cost: str, billed: str, start: str) -> dict:
    """A correction row delivered with October's data for the charge period starting at `start`."""
    row = focus_row(period="2026-10", list_cost=list_cost, billed=billed, charge_class="Correction")
    row["ChargePeriodStart"] = start
    row["ChargePeriodEnd"] = start           # not read; any value FOCUS allows
    return row


ROWS = [
    focus_row(period="2026-10", list_cost="6000.00", billed="5100.00", day=3),
    # two rows correcting September, one of them given in +02:00 (UTC: 30 September, 23:00)
    correction("-100.00", "-85.00", "2026-09-12T00:00:00Z"),
    correction("-20.00", "-17.00", "2026-10-01T01:00:00+02:00"),
    # one row correcting August, same service, same sub-account
    correction("-50.00", "-42.50", "2026-08-20T00:00:00Z"),
]


@pytest.fixture(scope="module")
def billed(tmp_path_factory):
    con = make_store(tmp_path_factory.mktemp("corrections"), two_tier(), ROWS)
    summary = run_billing(con, OCT)
    assert summary.ok, summary.problems
    return con, summary


def test_each_corrected_month_gets_a_line_naming_it(billed):
    con, _ = billed
    inv = invoices_by_buyer(con, OCT)
    # contoso pays list − 5 %, msp-one list − 10 % (two_tier)
    assert inv["contoso"]["lines"] == {
        "AWS AmazonEC2": Decimal("5700.00"),
        "AWS AmazonEC2 (correction of 2026-08)": Decimal("-47.50"),
        "AWS AmazonEC2 (correction of 2026-09)": Decimal("-114.00"),
    }
    assert inv["msp-one"]["lines"] == {
        "AWS AmazonEC2": Decimal("5400.00"),
        "AWS AmazonEC2 (correction of 2026-08)": Decimal("-45.00"),
        "AWS AmazonEC2 (correction of 2026-09)": Decimal("-108.00"),
    }
    groups = con.execute(
        "SELECT x_CorrectsPeriod, sum(x_RowCount) FROM landing_groups WHERE x_Period = ? "
        "GROUP BY ALL ORDER BY 1 NULLS FIRST", [OCT]).fetchall()
    assert groups == [(None, 1), (date(2026, 8, 1), 1), (date(2026, 9, 1), 2)]


def test_the_engine_agrees_line_by_line_and_ledger_column_by_column(billed):
    con, summary = billed
    orgs, plans, fx, mappings = engine_inputs(con)
    model = bill_period(OCT, orgs, plans, fx, model_rows(ROWS), mappings)
    sellers = sorted(o.id for o in orgs.values() if o.kind != "customer")
    assert assert_run_matches_engine(con, OCT, summary, model, sellers) == "ok"
    months = sorted({e.x_CorrectsPeriod for e in model.ledger if e.x_CorrectsPeriod is not None})
    assert months == [date(2026, 8, 1), date(2026, 9, 1)]


def test_drill_down_rows_add_up_to_each_line_and_no_row_counts_twice(billed):
    con, _ = billed
    for seller, buyer in (("northwind", "msp-one"), ("msp-one", "contoso")):
        lines = dict(con.execute(
            "SELECT l.description, l.unrounded FROM invoice_lines l JOIN invoices i USING (invoice_id) "
            "WHERE i.x_Period = ? AND i.buyer = ? AND l.kind = 'service'", [OCT, buyer]).fetchall())
        cur = con.execute(sql("rpt_customer_rows"), {
            "period": OCT, "seller": seller, "buyer": buyer, "customers": None, "cost_groups": None,
            "sub_account": None, "service": None, "grain": "row", "limit": None,
            "show_list": False, "show_cost": False})
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, v)) for v in cur.fetchall()]
        assert len(rows) == len(ROWS), rows          # every landed row once
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for r in rows:
            # the usage row is October's; the others correct the month of their (UTC) start
            month = date(r["ChargePeriodStart"].year, r["ChargePeriodStart"].month, 1)
            label = ("AWS " + service_label(r["ServiceName"], "Correction", month) if month != OCT
                     else "AWS " + r["ServiceName"])
            sums[label] += scope._share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"],
                                        r["x_Rows"], r["x_GroupRows"])
        assert set(sums) == set(lines)
        for label, unrounded in lines.items():
            assert abs(sums[label] - unrounded) <= Decimal("1e-9"), (buyer, label, sums[label], unrounded)


def test_the_focus_export_puts_each_correction_on_its_line(billed):
    con, _ = billed
    rows, invoice = focus_rows(con, admin_scope(con, "msp-one"), "contoso", OCT)   # checks every line
    keys = defaultdict(Decimal)
    for r in rows:
        keys[line_key(r)] += r["BilledCost"]
    assert keys == {
        ("service", "AWS", "AmazonEC2"): Decimal("5700"),
        ("service", "AWS", "AmazonEC2 (correction of 2026-08)"): Decimal("-47.50"),
        ("service", "AWS", "AmazonEC2 (correction of 2026-09)"): Decimal("-114.00"),
    }
    assert invoice["buyer"] == "contoso"


@pytest.mark.parametrize("start, month", [
    ("2026-09-12T00:00:00Z", date(2026, 9, 1)),
    ("2026-10-01T01:00:00+02:00", date(2026, 9, 1)),      # UTC, as landing reads it
    ("2026-09-30T23:30:00-01:00", date(2026, 10, 1)),
    ("2026-08-31", date(2026, 8, 1)),
    (date(2026, 7, 4), date(2026, 7, 1)),
])
def test_corrected_period_is_the_utc_month_of_the_charge_period_start(start, month):
    assert corrected_period("Correction", start) == month
    assert corrected_period(None, start) is None
    assert corrected_period("", start) is None


def test_labels():
    assert service_label("AmazonEC2", None, None) == "AmazonEC2"
    assert service_label("AmazonEC2", "Correction", date(2026, 9, 1)) == "AmazonEC2 (correction of 2026-09)"
    # a run billed before the groups kept the month (migration 016) still says what it is
    assert service_label("AmazonEC2", "Correction", None) == "AmazonEC2 (correction)"
