"""The Margins and What-if pages (issue #13), with AppTest, per role, on the hand-worked store of
tests/test_margins_report.py (northwind → msp-one → contoso; numbers worked out there) and on
the demo store.
"""
from __future__ import annotations

import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.auth import AUTH_KEY, session_record
from data.billing import run_billing
from data.store import ROOT, connect
from tests.billing_support import make_store
from tests.browser_support import restore_env, set_env, ui_env
from tests.test_margins_report import APRIL, APRIL_ROWS, ROWS, config

P = date(2026, 5, 1)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The hand-worked store, closed, with the app's environment pointing at it."""
    tmp = tmp_path_factory.mktemp("margins-page")
    con = make_store(tmp, config(root_floor="15", msp_floor="6"), ROWS + APRIL_ROWS)
    assert run_billing(con, APRIL).ok and run_billing(con, P).ok
    db = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
              .fetchone()[0])
    con.execute("CHECKPOINT")
    con.close()
    old = set_env(ui_env(db))
    yield db
    restore_env(old)


@pytest.fixture()
def private(small, tmp_path):
    """A copy of the small store for a test that saves a plan."""
    from components.store import _connection
    copy = tmp_path / "copy.duckdb"
    shutil.copy(small, copy)
    old = set_env({"TIERLINE_DB": str(copy)})
    yield copy
    _connection.clear()             # let go of the copy before it is removed
    restore_env(old)


def run(page: str, username: str, *, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[AUTH_KEY] = session_record(username, time.time() + 600, method="test")
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page(page)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, containing: str) -> str:
    """The CSV of the first table showing `containing` (tables carry no key in AppTest)."""
    found = [d.value.to_csv() for d in at.dataframe if containing in d.value.to_csv()]
    assert found, (containing, [d.value.to_csv() for d in at.dataframe])
    return found[0]


def page_text(at: AppTest) -> str:
    parts = [str(n.proto) for n in at.main if getattr(n, "proto", None) is not None]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [m.value for m in at.markdown] + [w.value for w in at.warning] + [c.value for c in at.caption]
    return "\n".join(parts)


def test_root_leader_sees_totals_sources_floor_and_leakage(small):
    at = run("pages/3_Margins.py", "lea")
    assert not at.exception and [e.value for e in at.error] == []
    assert metrics(at) == {"Revenue (USD)": "USD 9,790.00", "Cost (USD)": "USD 8,400.00",
                           "Margin (USD)": "USD 1,390.00", "Margin % (USD)": "14.20 %"}
    csv = table(at, "Usage margin")
    for label, margin in (("Usage margin", "500.00"), ("Commitment margin (savings retained)", "540.00"),
                          ("Retained credits", "100.00"), ("Fees", "250.00")):
        assert re.search(rf"{re.escape(label)}.*{re.escape(margin)}", csv), (label, csv)
    # a distributor's customers are its rows' customers: contoso at 11.95 % is under the 15 % floor
    assert at.segmented_control(key="margins_by").options == ["Customer", "Reseller", "Provider", "Service"]
    warning = " ".join(w.value for w in at.warning)
    assert "Below your margin floor of 15.00 %" in warning and "Contoso Ltd" in warning and "11.95 %" in warning
    assert any(s.value == "Revenue leakage" for s in at.subheader)
    assert "40.00" in at.dataframe[-1].value.to_csv() and "AWS" in at.dataframe[-1].value.to_csv()


def test_root_admin_by_reseller(small):
    at = run("pages/3_Margins.py", "ana", state={"margins_by": "customer"})
    assert not at.exception and [e.value for e in at.error] == []
    csv = table(at, "MSP One")
    assert "1,390.00" in csv and "14.20 %" in csv


def test_reseller_leader_never_sees_its_sellers_cost(small):
    at = run("pages/3_Margins.py", "ml")
    assert not at.exception and [e.value for e in at.error] == []
    assert metrics(at) == {"Revenue (USD)": "USD 10,070.00", "Cost (USD)": "USD 9,790.00",
                           "Margin (USD)": "USD 280.00", "Margin % (USD)": "2.78 %"}
    text = page_text(at)
    for secret in ("8,400.00", "5,100.00", "3,400.00", "8,500.00", "1,390.00", "1,140.00", "14.20 %"):
        assert secret not in text, secret
    assert not any(s.value == "Revenue leakage" for s in at.subheader)
    assert at.segmented_control(key="margins_by").options == ["Customer", "Provider", "Service"]
    warning = " ".join(w.value for w in at.warning)
    assert "Contoso Ltd" in warning and "5.26 %" in warning          # under msp-one's 6 %


def test_whatif_as_reseller_admin_prices_the_stored_plan_back(small):
    at = run("pages/8_What_if.py", "mo")
    assert not at.exception and [e.value for e in at.error] == []
    assert at.selectbox(key="whatif_plan").options == ["msp-plan"]
    csv = table(at, "Contoso Ltd")
    # unchanged: 10,070.00 stored and priced again, margin 10,070.00 − 9,540.00 = 530.00 both ways
    assert csv.count("10,070.00") == 2 and csv.count("530.00") == 2 and ",0.00," in csv
    assert at.button(key="whatif_save")


def test_whatif_worked_example_through_the_form_and_save(private):
    edit = {"edited_rows": {0: {"discount_pct": "7"}}, "added_rows": [], "deleted_rows": []}
    at = run("pages/8_What_if.py", "mo", state={"whatif_rules_msp-plan": edit})
    assert not at.exception and [e.value for e in at.error] == []
    csv = table(at, "Contoso Ltd")
    # 7 % off list: (6,000 + 4,000) × 0.93 + the commitment's 600.00 amortised × 0.93 = 9,300.00 +
    # 558.00 = 9,858.00 (was 10,070.00); msp-one's cost 9,540.00, so the margin 530.00 → 318.00.
    assert "9,858.00" in csv and "-212.00" in csv and "318.00" in csv
    con = connect(private)
    runs_before = con.execute("SELECT count(*) FROM billing_runs").fetchone()[0]
    con.close()
    at.button(key="whatif_save").click().run()
    assert not at.exception and [e.value for e in at.error] == []
    assert "Saved as configuration version" in at.success[0].value
    con = connect(private)
    try:
        rules = con.execute("SELECT definition FROM cfg_plans WHERE id = 'msp-plan'").fetchone()[0]
        assert '"discount_pct": "7"' in rules
        assert con.execute("SELECT count(*) FROM audit_log WHERE username = 'mo' "
                           "AND action = 'config_change'").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM billing_runs").fetchone()[0] == runs_before
    finally:
        con.close()


def test_whatif_invalid_value_is_a_sentence_and_nothing_is_saved(small):
    edit = {"edited_rows": {0: {"discount_pct": "120"}}, "added_rows": [], "deleted_rows": []}
    at = run("pages/8_What_if.py", "mo", state={"whatif_rules_msp-plan": edit})
    assert not at.exception
    (error,) = [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", e.value) for e in at.error]   # Markdown escapes off
    assert "rules[0].discount_pct" in error and "from 0 to 100" in error
    assert at.button(key="whatif_save").disabled


def test_whatif_as_leader_prices_but_cannot_save(small):
    at = run("pages/8_What_if.py", "lea")
    assert not at.exception and [e.value for e in at.error] == []
    csv = table(at, "MSP One")
    assert "MSP One" in csv and "9,790.00" in csv                   # dist-plan's buyer, as stored
    assert not any(b.key == "whatif_save" for b in at.button)
    assert any("Only an administrator can save" in c.value for c in at.caption)


# --- in a real browser: one screenshot of each page, looked at and asserted on -----------------

@pytest.mark.browser
def test_screenshots_of_margins_and_whatif(monkeypatch):
    """The demo store in headless Chromium as its practice leader (tests/screenshots/)."""
    from tests import test_browser as b
    from tests.browser_support import ui_store

    # No file watcher: a source file saved while the server runs must not make Streamlit drop
    # and re-import modules under a running page (it watches the whole folder, .venv included).
    monkeypatch.setenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")

    shots = {}
    with b.streamlit_server(ui_store().browser_db, "streamlit-margins.log", poll_seconds="0") as server:
        with b.playwright_sync.sync_playwright() as p:
            chrome = p.chromium.launch(executable_path=b.CHROMIUM, args=b.CHROMIUM_ARGS, headless=True)
            try:
                page = b.new_context(chrome).new_page()
                b.sign_in(page, server, "dist-leader")
                for name, url, done in (("margins", "/Margins", "Revenue leakage"),
                                        ("what-if", "/What_if", "priced with the changed plan")):
                    page.goto(server + url)
                    b.wait_nav(page)
                    b.wait_idle(page)
                    if page.get_by_text("Something went wrong on our side").count():
                        # The first validation of the stored document in a fresh server imports
                        # fpdf (logo checks, data/documents/branding.py) inside the page's run;
                        # the sign-in cookie's rerun can interrupt that import half-way and the
                        # run fails once (reported to the lead). The next run is the real test.
                        page.reload()
                        b.wait_nav(page)
                    try:
                        page.get_by_text(done).first.wait_for()
                    except Exception:
                        page.screenshot(path=str(b.SCREENSHOTS / f"FAILED-leader-{name}.png"))
                        raise
                    b.wait_idle(page)
                    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
                    shots[name] = b.main_text(page)
                    b.screenshot(page, b.SCREENSHOTS / f"leader-{name}.png")
            finally:
                chrome.close()
    margins_text = shots["margins"]
    for heading in ("Margins", "Last 12 months", "Where the margin comes from", "Breakdown", "Revenue leakage"):
        assert heading in margins_text
    assert re.search(r"Margin % \(USD\)\s*\n?\s*-?\d+\.\d{2} %", margins_text), margins_text[:600]
    assert "Something went wrong" not in margins_text
    whatif_text = shots["what-if"]
    assert "Rules" in whatif_text and "Volume tiers and fees" in whatif_text
    assert "Only an administrator can save the plan" in whatif_text        # a leader tries, never saves
    assert "Something went wrong" not in whatif_text   # the table itself is a canvas: see the PNG
