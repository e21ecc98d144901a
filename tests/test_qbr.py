"""The quarterly business review (issue #13 item 3, docs/qbr.md): who may open which customer,
numbers equal to the invoices, the next steps (stored, audited), the page per role (AppTest) and
`cli.py qbr` writing the PDF pack.

The store: the demo built as of 2026-09-20, so 2026Q3 holds three billed months (July and
August complete, September to date), July issued. Built once per test process.
"""
from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components.auth import AUTH_KEY, session_record
from components.pickers import NOT_YOURS_CUSTOMER
from data.store import ROOT, connect
from pricing.money import ZERO, round_line
from queries.reports import qbr
from queries.reports.costs import customer_costs
from queries.reports.invoices import customer_summary, invoice_detail
from queries.scope import ScopeError, scope_for_user
from tests.browser_support import restore_env, set_env, ui_env

AS_OF = date(2026, 9, 20)             # periods 2026-07, 2026-08 (complete), 2026-09 (to date)
QUARTER = "2026Q3"
MONTHS = (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1))
SCREENSHOTS = ROOT / "tests" / "screenshots"
PAGE = "pages/12_QBR.py"


@lru_cache(maxsize=None)
def qbr_demo_store() -> Path:
    """The demo as of AS_OF, billed, July issued; checkpointed and closed. Tests copy it."""
    from data.billing import issue_invoices, run_billing
    from data.demo import build_demo
    folder = Path(tempfile.mkdtemp(prefix="tierline-qbr-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "qbr.duckdb"
    con = connect(path)
    try:
        summary = build_demo(con, as_of=AS_OF, rows=3000, out_dir=folder / "files")
        assert tuple(summary["periods"]) == MONTHS
        for period in summary["periods"]:
            assert run_billing(con, period, run_by="test").ok
        assert issue_invoices(con, "2026-07", issued_by="test")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("qbr") / "tierline.duckdb"
    shutil.copyfile(qbr_demo_store(), copy)
    return copy


@pytest.fixture(scope="module")
def con(store_path):
    c = connect(store_path)
    yield c
    c.close()


def who(con, username):
    return scope_for_user(con, username)


# --- quarters ------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, year, number", [("2026Q3", 2026, 3), ("2025Q1", 2025, 1),
                                                   ("2026Q4", 2026, 4)])
def test_a_quarter_is_written_like_2026Q3(written, year, number):
    q = qbr.parse_quarter(written)
    assert (q.year, q.number, q.label) == (year, number, written)


@pytest.mark.parametrize("bad", ["2026Q5", "2026Q0", "2026q3", "2026-Q3", " 2026Q3", "2026Q3 ", "Q3 2026",
                                 "26Q3", "2026Q3' OR '1'='1", "", None, 20263, date(2026, 7, 1)])
def test_anything_else_is_one_sentence_that_does_not_repeat_it(bad):
    with pytest.raises(ValueError, match=r"^A quarter is written like 2026Q3: a four-digit year, Q "
                                         r"and a digit from 1 to 4\.$"):
        qbr.parse_quarter(bad)


def test_quarter_months_and_the_quarter_before():
    q = qbr.parse_quarter("2026Q1")
    assert q.months == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
    assert q.previous.label == "2025Q4" and q.previous.months[-1] == date(2025, 12, 1)
    assert qbr.Quarter.of(date(2026, 9, 1)).label == "2026Q3" and q.title == "Q1 2026"


# --- who may review whom ------------------------------------------------------------------------

def test_an_account_manager_reviews_exactly_the_customers_assigned_to_them(con):
    assert [c["id"] for c in qbr.review_customers(con, who(con, "msp-am"))] == \
        ["contoso", "fabrikam", "tailspin", "wingtip"]
    assert qbr.review_quarters(con, who(con, "msp-am")) == [qbr.Quarter(2026, 3)]


@pytest.mark.parametrize("username, customer, sentence", [
    ("msp-am", "adventure-works", "You do not have access to that customer."),       # not assigned
    ("msp-am", "cloudhaus", "You do not have access to that customer."),             # not a buyer of MSP One
    ("msp-am", "contoso' OR '1'='1", "You do not have access to that customer."),
    ("msp-admin", "msp-one", "You do not have access to that customer."),            # its own price: its seller's review
    ("msp-admin", "rheinwerk", "You do not have access to that customer."),          # another reseller's customer
    ("dist-am", "cloudhaus", "You are assigned only some of this organisation's customers"),
    ("contoso-user", "contoso", "Quarterly business reviews are prepared by account managers"),
])
def test_everyone_else_is_refused_with_a_sentence_and_no_data(con, username, customer, sentence):
    with pytest.raises(ScopeError) as refused:
        qbr.qbr_report(con, who(con, username), customer, QUARTER)
    assert str(refused.value).startswith(sentence)
    assert "OR" not in str(refused.value)


def test_a_partial_account_manager_and_a_customer_have_nobody_to_review(con):
    assert qbr.review_customers(con, who(con, "dist-am")) == []        # only resellers' customers
    assert qbr.review_customers(con, who(con, "contoso-user")) == []


def test_a_quarter_without_a_billed_month_is_refused(con):
    with pytest.raises(ScopeError, match=r"^2026Q2 has no billed month yet\.$"):
        qbr.qbr_report(con, who(con, "msp-am"), "contoso", "2026Q2")


# --- every number equals the portal's and the invoices' ------------------------------------------

@pytest.mark.parametrize("username, customer", [("msp-am", "contoso"), ("msp-admin", "fabrikam"),
                                                ("msp-leader", "wingtip"), ("ch-admin", "rheinwerk"),
                                                ("dist-admin", "cloudhaus")])
def test_month_and_quarter_totals_are_the_invoices_subtotals(con, username, customer):
    scope = who(con, username)
    review = qbr.qbr_report(con, scope, customer, QUARTER)
    ccy = review["currency"]
    subtotals = []
    for month, p in zip(review["months"], MONTHS):
        head = customer_summary(con, scope, customer, p)            # the portal's headline
        assert month["subtotal"] == head["subtotal"] and month["number"] == head["number"]
        lines = invoice_detail(con, scope, head["invoice_id"])["lines"]
        assert sum(month["providers"].values(), ZERO) == head["subtotal"] == \
            sum((ln["amount"] for ln in lines if ln["kind"] != "tax"), ZERO)
        subtotals.append(head["subtotal"])
    stored = con.execute(
        "select sum(subtotal) from rpt_current_invoices where seller = ? and buyer = ? "
        "and x_Period between ? and ?", [review["seller"], customer, MONTHS[0], MONTHS[-1]]).fetchone()[0]
    assert review["total"] == sum(subtotals, ZERO) == round_line(stored, ccy)
    assert sum(review["provider_totals"].values(), ZERO) == review["total"]
    assert [m["final"] for m in review["months"]] == [True, False, False] and not review["final"]
    assert review["previous_total"] is None and review["change"] is None   # nothing billed in Q2


def test_drivers_and_movers_are_the_portals_breakdown_over_the_quarter(con):
    scope = who(con, "msp-am")
    review = qbr.qbr_report(con, scope, "contoso", QUARTER)
    by_service: dict[str, Decimal] = {}
    for p in MONTHS:
        for row in customer_costs(con, scope, "contoso", p, by="service").to_dict("records"):
            key = f"{row['ProviderName']} \u00b7 {row['ServiceName']}"
            by_service[key] = by_service.get(key, ZERO) + row["price"]
    rounded = {k: round_line(v, "EUR") for k, v in by_service.items()}
    top = sorted(rounded.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(d["key"], d["amount"]) for d in review["drivers"]] == top
    # nothing billed in 2026Q2: every mover is new, by the size of its change
    assert [(m["key"], m["previous"], m["current"], m["change_pct"]) for m in review["movers_service"]] == \
        [(k, ZERO, v, None) for k, v in top]


def test_notable_days_follow_the_rule_from_the_daily_series(con):
    review = qbr.qbr_report(con, who(con, "msp-am"), "contoso", QUARTER)
    assert review["rule"].startswith("A notable day is one whose spend is above the median of the 14 days")
    days = {d["day"] for d in review["daily"] if d["notable"]}
    assert days == {n["day"] for n in review["notable"]}
    for n in review["notable"]:
        assert n["day"] >= date(2026, 7, 15)                  # June is not billed: 14 days of history
        assert n["spend"] >= n["threshold"]                    # shown at the cent: equal at most
        # median + 3 × MAD, each rounded to the cent for display: within 4 half-cents
        assert abs(n["threshold"] - (n["median"] + 3 * n["mad"])) <= Decimal("0.02")
        assert all(s["excess"] > 0 for s in n["services"])


# --- sections other work provides (hooks) ---------------------------------------------------------

def test_commitment_coverage_shows_the_customers_own_rows_when_commitments_exist(con):
    coverage = pytest.importorskip("queries.reports.commitments").coverage
    scope = who(con, "msp-am")
    review = qbr.qbr_report(con, scope, "tailspin", QUARTER)
    expected = [c for p in MONTHS for c in coverage(con, scope, p) if c["customer"] == "tailspin"]
    if not expected:
        assert review["commitments"] is None
        return
    assert [(r["Provider"], r["Coverage %"]) for r in review["commitments"]] == \
        [(c["provider"], f"{c['coverage_pct']} %" if c["coverage_pct"] is not None else "") for c in expected]


def test_budget_against_actual_appears_when_the_customer_has_a_budget(store_path, tmp_path):
    pytest.importorskip("queries.reports.budgets")
    import yaml

    from data.config import current_config, import_config, parse_config
    copy = tmp_path / "budgets.duckdb"
    c = connect(store_path)
    c.execute("CHECKPOINT")
    c.close()
    shutil.copyfile(store_path, copy)
    c = connect(copy)
    try:
        # Tailspin has no budget in the demo (Contoso, Fabrikam and Rheinwerk do)
        assert qbr.qbr_report(c, who(c, "msp-am"), "tailspin", QUARTER)["budget"] is None
        data = current_config(c).to_data()
        data["budgets"] = [*data.get("budgets", []), {"customer": "tailspin", "amount": "800.00"}]
        import_config(c, parse_config(yaml.safe_dump(data, sort_keys=False), source="test"), imported_by="cli")
        review = qbr.qbr_report(c, who(c, "msp-am"), "tailspin", QUARTER)
        # the whole month's budget: its actual is the month's invoice subtotal
        assert [(r["Amount"], r["Actual"]) for r in review["budget"]] == \
            [("800.00", f"{m['subtotal']:,}") for m in review["months"]]
    finally:
        c.close()


# --- next steps -----------------------------------------------------------------------------------

def test_next_steps_are_stored_per_seller_customer_and_quarter_and_audited(con):
    from data.qbr import save_next_steps
    scope = who(con, "msp-am")
    stored = save_next_steps(con, scope, "contoso", QUARTER,
                             "Review the Azure OpenAI spike\n\n  Right-size   the SQL database \n")
    assert stored == ["Review the Azure OpenAI spike", "Right-size the SQL database"]
    assert qbr.next_steps(con, who(con, "msp-admin"), "contoso", QUARTER)["steps"] == stored
    assert qbr.qbr_report(con, scope, "contoso", QUARTER)["next_steps"]["updated_by"] == "msp-am"
    assert qbr.next_steps(con, scope, "contoso", "2026Q2")["steps"] == []
    save_next_steps(con, scope, "contoso", QUARTER, ["Only one step"])
    entries = con.execute("select org, action, target, before, after from audit_log "
                          "where username = 'msp-am' and action = 'qbr_next_steps' order by logged_at").fetchall()
    assert [(e[0], e[1], e[2]) for e in entries] == [("msp-one", "qbr_next_steps", f"contoso {QUARTER}")] * 2
    assert "Only one step" in entries[-1][4] and "Right-size" in entries[-1][3]


@pytest.mark.parametrize("steps, sentence", [
    (["x" * 301], r"^Next step 1 is 301 characters long; at most 300 are allowed\.$"),
    ([f"step {i}" for i in range(21)], r"^A review holds at most 20 next steps; this one has 21\.$"),
    ([1], r"^Next step 1 must be text\.$"),
])
def test_bad_next_steps_are_one_sentence_and_change_nothing(con, steps, sentence):
    from data.qbr import save_next_steps
    before = con.execute("select count(*) from audit_log").fetchone()[0]
    with pytest.raises(ValueError, match=sentence):
        save_next_steps(con, who(con, "msp-am"), "fabrikam", QUARTER, steps)
    assert con.execute("select count(*) from qbr_notes where customer_id = 'fabrikam'").fetchone()[0] == 0
    assert con.execute("select count(*) from audit_log").fetchone()[0] == before


def test_an_account_manager_cannot_write_next_steps_for_an_unassigned_customer(con):
    from data.qbr import save_next_steps
    with pytest.raises(ScopeError):
        save_next_steps(con, who(con, "msp-am"), "adventure-works", QUARTER, ["steal"])
    assert con.execute("select count(*) from qbr_notes where customer_id = 'adventure-works'").fetchone()[0] == 0


# --- the page, per role (AppTest) ----------------------------------------------------------------

@pytest.fixture(scope="module")
def app_store(store_path):
    """The page reads the module's store; st.cache_data is cleared around it, because cached
    reads are keyed by username and configuration version, not by store."""
    old = set_env(ui_env(store_path))
    st.cache_data.clear()
    yield store_path
    restore_env(old)
    st.cache_data.clear()


def run_page(username: str, *, query: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state[AUTH_KEY] = session_record(username, time.time() + 600, method="test")
    for k, v in (state or {}).items():
        at.session_state[k] = v
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    return at.run()


def errors(at: AppTest) -> list[str]:
    return [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", e.value).replace("\u2060", "") for e in at.error]


def no_data(at: AppTest) -> None:
    assert not at.exception
    assert len(at.metric) == 0 and len(at.dataframe) == 0 and len(at.header) == 0


def test_page_account_manager_on_an_assigned_customer(app_store, con):
    at = run_page("msp-am", query={"customer": "contoso", "quarter": QUARTER})
    assert not at.exception and errors(at) == []
    assert at.header[0].value.replace("\\", "") == "Contoso Ltd · Q3 2026"
    total = qbr.qbr_report(con, who(con, "msp-am"), "contoso", QUARTER)["total"]
    assert at.metric[0].value == f"EUR {total:,.2f}"
    assert at.selectbox(key="qbr_customer_msp-am").options == ["Contoso Ltd", "Fabrikam Inc", "Tailspin Toys",
                                                        "Wingtip Toys"]
    assert len(at.dataframe) >= 5          # spend, two movers tables, drivers, notable days


def test_page_account_manager_saves_next_steps(app_store):
    at = run_page("msp-am", query={"customer": "tailspin", "quarter": QUARTER})
    assert not at.exception and errors(at) == []
    at.text_area(key=f"qbr_steps_text_tailspin_{QUARTER}_msp-am").set_value("Plan a savings plan\nCheck staging")
    next(b for b in at.button if b.label == "Save next steps").click().run()
    assert not at.exception and errors(at) == []
    assert at.success[0].value == "Saved 2 next steps."
    c = connect(app_store)
    assert c.execute("select steps from qbr_notes where customer_id = 'tailspin'").fetchone()[0] == \
        ["Plan a savings plan", "Check staging"]


@pytest.mark.parametrize("how", ["url", "widget"])
def test_page_account_manager_cannot_open_an_unassigned_customer(app_store, how):
    if how == "url":
        at = run_page("msp-am", query={"customer": "adventure-works", "quarter": QUARTER})
    else:
        at = run_page("msp-am", state={"qbr_customer_msp-am": "adventure-works"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    no_data(at)
    assert "Adventure" not in str(at._tree)


def test_page_refuses_a_quarter_from_the_url_that_has_nothing_billed(app_store):
    at = run_page("msp-am", query={"customer": "contoso", "quarter": "2026Q2"})
    assert errors(at) == ["There is nothing to review for that quarter. Pick one from the list."]
    no_data(at)


@pytest.mark.parametrize("username, customer, heading", [
    ("msp-admin", "adventure-works", "Adventure Works Cycles · Q3 2026"),   # admins: every customer
    ("msp-leader", "contoso", "Contoso Ltd · Q3 2026"),
    ("dist-admin", "cloudhaus", "CloudHaus GmbH · Q3 2026"),
])
def test_page_admins_and_leaders_review_every_customer_they_sell_to(app_store, username, customer, heading):
    at = run_page(username, query={"customer": customer})
    assert not at.exception and errors(at) == []
    assert at.header[0].value.replace("\\", "") == heading


def test_page_is_not_for_customers_and_says_so_to_a_partial_account_manager(app_store):
    at = run_page("contoso-user")
    assert at.error and "account managers" in errors(at)[0]
    no_data(at)
    at = run_page("dist-am")
    assert errors(at) == ["There is no customer you can prepare a review for. Account managers review "
                          "the customers assigned to them by name; ask an administrator."]
    no_data(at)


# --- cli.py qbr: the PDF pack ----------------------------------------------------------------------

def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("qbr-cli") / "tierline.duckdb"
    shutil.copyfile(qbr_demo_store(), copy)
    return copy


def invoice_subtotals(path: Path) -> list[tuple[date, Decimal]]:
    """(month, subtotal) of MSP One's current invoices to Contoso in 2026Q3, read from the store."""
    c = connect(path, read_only=True)
    try:
        rows = c.execute("select x_Period, subtotal from rpt_current_invoices where seller = 'msp-one' "
                         "and buyer = 'contoso' and x_Period between ? and ? order by x_Period",
                         [MONTHS[0], MONTHS[-1]]).fetchall()
    finally:
        c.close()
    return [(p, round_line(v, "EUR")) for p, v in rows]


def test_cli_writes_the_pack_whose_totals_are_the_invoice_subtotals(cli_store, tmp_path):
    out = tmp_path / "contoso-q3.pdf"
    done = cli("--db", str(cli_store), "qbr", "--customer", "contoso", "--quarter", QUARTER,
               "--out", str(out), "--as", "msp-am")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    rows = invoice_subtotals(cli_store)
    assert [r[0] for r in rows] == list(MONTHS)
    total = sum((r[1] for r in rows), ZERO)
    assert "Contoso Ltd" in text and "Quarterly business review" in text and "Q3 2026" in text
    assert f"EUR {total:,.2f}" in text                                   # the facts band
    total_row = next(line for line in text.splitlines() if "Total (invoice subtotals)" in line)
    assert total_row.split()[3:] == [f"{r[1]:,.2f}" for r in rows] + [f"{total:,.2f}"]
    assert "MSP One" in text                                             # the seller's branding


@pytest.mark.parametrize("args, status, sentence", [
    (["--customer", "adventure-works", "--as", "msp-am"], 2, "msp-am may not see this: You do not have access"),
    (["--customer", "contoso", "--as", "contoso-user"], 2, "Quarterly business reviews are prepared"),
    (["--customer", "contoso", "--as", "nobody"], 2, "There is no user 'nobody'"),
    (["--customer", "contoso", "--quarter", "2026-Q3"], 1, "A quarter is written like 2026Q3"),
    (["--customer", "contoso", "--quarter", "2026Q2"], 1, "2026Q2 has no billed month yet."),
])
def test_cli_refusals_are_one_sentence_and_write_nothing(cli_store, tmp_path, args, status, sentence):
    out = tmp_path / "x.pdf"
    if "--quarter" not in args:
        args = [*args, "--quarter", QUARTER]
    done = cli("--db", str(cli_store), "qbr", *args, "--out", str(out))
    assert done.returncode == status and sentence in done.stderr and done.stderr.count("\n") == 1
    assert not out.exists()


def test_a_rendered_pack_page_shows_heading_and_total(cli_store, tmp_path):
    """The first page of the pack as an image (tests/screenshots/qbr-pack-page1.png, looked at):
    its text layer holds the heading and the quarter total, and the seller's accent is drawn."""
    from PIL import Image
    out = tmp_path / "pack.pdf"
    assert cli("--db", str(cli_store), "qbr", "--customer", "contoso", "--quarter", QUARTER,
               "--out", str(out), "--as", "msp-am").returncode == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = SCREENSHOTS / "qbr-pack-page"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(out), str(stem)],
                   check=True)
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(out), "-"], capture_output=True,
                           text=True, check=True).stdout
    total = sum((v for _, v in invoice_subtotals(cli_store)), ZERO)
    assert "Quarterly business review" in page1 and "Contoso Ltd \u00b7 Q3 2026" in page1
    assert f"EUR {total:,.2f}" in page1 and "Spend by month and provider" in page1
    with Image.open(f"{stem}.png") as img:
        assert img.size == (662, 936)                          # A4 at 80 dpi
        rgb = img.convert("RGB")
        accent = sum(1 for px in rgb.getdata() if px[2] > 150 and px[0] < 60)   # MSP One's blue
    assert accent > 2000


def test_the_pack_renders_hostile_text_and_refuses_a_review_that_does_not_add_up(con):
    import copy

    from data.documents.branding import Branding, Party
    from data.documents.qbr_pdf import render_qbr_pdf
    review = copy.deepcopy(qbr.qbr_report(con, who(con, "msp-am"), "contoso", QUARTER))
    review["next_steps"]["steps"] = ["Жёлтый\u202e <a href='x'>link</a>\x00 " + "y" * 5000, "Łódź step"]
    review["drivers"][0]["key"] = "AWS \u00b7 " + "S" * 3000
    seller, buyer = Branding.plain("msp-one", "MSP One"), Party("Contoso Ltd")
    pdf = render_qbr_pdf(review, seller, buyer, created=date(2026, 9, 20))
    assert pdf.startswith(b"%PDF") and pdf == render_qbr_pdf(review, seller, buyer, created=date(2026, 9, 20))
    review["total"] += Decimal("0.01")
    with pytest.raises(ValueError, match=r"^the review's months add up to .* but its total is"):
        render_qbr_pdf(review, seller, buyer, created=date(2026, 9, 20))
