"""The cost portal in a real browser (issue #12): a customer signs in and finds its issued invoice
total for a closed month and its draft total for the open one, in its own currency and its
seller's brand, with the forecast's method and the data's freshness on the page; a second customer
in another currency likewise. Screenshots of a closed and an open month land in tests/screenshots/
(portal-*.png); the best is the README's. The harness is tests/test_browser.py's.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from components.money import fmt
from data.store import connect
from tests.browser_support import customer_names_except, ui_store
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    main_text,
    new_context,
    open_page,
    screenshot,
    sign_in,
    streamlit_server,
    wait_idle,
    wait_nav,
)

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def portal_server():
    """The app on its own copy of the demo store (another test module's server may hold the other)."""
    folder = Path(tempfile.mkdtemp(prefix="tierline-portal-"))
    db = folder / "tierline.duckdb"
    shutil.copyfile(ui_store().browser_db, db)
    try:
        with streamlit_server(db, "streamlit-portal.log", poll_seconds="0") as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def invoice(buyer: str, period) -> dict:
    con = connect(ui_store().apptest_db)
    row = con.execute("SELECT i.total, i.currency, i.status, i.number FROM rpt_current_invoices i "
                      "WHERE i.buyer = ? AND i.x_Period = ?", [buyer, period]).fetchone()
    return {"total": row[0], "currency": row[1], "status": row[2], "number": row[3]}


def open_costs(page, server: str, period) -> str:
    """The Costs page of `period` by URL, completely drawn (its last section is Documents)."""
    open_page(page, server, "costs", f"?period={period:%Y-%m}")
    wait_nav(page)
    page.get_by_role("heading", name="Documents").wait_for()
    # the period picker shows the month of the link (the cookie's rerun may redraw it once more)
    page.wait_for_function("v => [...document.querySelectorAll('[data-testid=\"stSelectbox\"] input')]"
                           ".some(i => i.value === v)", arg=f"{period:%B %Y}")
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
    return main_text(page)


def total_metric(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Total").first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.mark.parametrize("username, buyer, seller_brand", [
    ("contoso-user", "contoso", "MSP One Inc."),          # EUR
    ("fabrikam-user", "fabrikam", "MSP One Inc."),        # USD
    ("rheinwerk-user", "rheinwerk", "CloudHaus GmbH"),    # EUR, a customer of a 2-tier reseller
])
def test_customer_finds_its_issued_and_draft_totals(portal_server, chromium, username, buyer,
                                                     seller_brand):
    store = ui_store()
    closed, open_ = store.periods[0], store.periods[-1]
    ctx = new_context(chromium)
    try:
        page = ctx.new_page()
        sign_in(page, portal_server, username)
        others = customer_names_except(buyer)

        issued = invoice(buyer, closed)
        assert issued["status"] == "issued"
        text = open_costs(page, portal_server, closed)
        assert page.locator("h1").first.inner_text().strip() == "Costs"
        assert total_metric(page) == fmt(issued["total"], issued["currency"])
        assert f"Invoiced — final · invoice {issued['number']}" in text
        assert "Invoice PDF" in text and "FOCUS export (Parquet)" in text
        assert seller_brand in text and "Northwind" not in text and "Viewing as" not in text
        assert [n for n in others if n in text] == []
        assert re.search(r"through \d+ \w{3}, loaded \d+ \w{3} \d\d:\d\d UTC", text)
        if username == "contoso-user":
            screenshot(page, SCREENSHOTS / "portal-closed-month.png")

        draft = invoice(buyer, open_)
        assert draft["status"] == "draft"
        text = open_costs(page, portal_server, open_)
        assert total_metric(page) == fmt(draft["total"], draft["currency"])
        assert "Month to date — not final" in text
        assert "Forecast method: Run-rate of the last 7 complete days" in text
        assert re.search(r"Data: AWS through \d+ Jun, loaded \d+ \w{3} \d\d:\d\d UTC", text)
        assert "Forecast to month end" in text and re.search(r"Range \w{3} [\d,.]+ – ", text)
        assert [n for n in others if n in text] == []
        # No Deploy button, no developer menu (.streamlit/config.toml: client.toolbarMode)
        assert page.locator('[data-testid="stAppDeployButton"], [data-testid="stMainMenu"]').count() == 0
        assert seller_brand in page.title()
        if username == "contoso-user":
            screenshot(page, SCREENSHOTS / "portal-open-month.png")
    finally:
        ctx.close()


def test_admin_sees_the_viewing_as_band(portal_server, chromium):
    ctx = new_context(chromium)
    try:
        page = ctx.new_page()
        sign_in(page, portal_server, "msp-admin")
        open_page(page, portal_server, "costs", "?customer=contoso")
        page.get_by_role("heading", name="Documents").wait_for()
        wait_idle(page)
        text = main_text(page)
        assert "Viewing as Contoso Ltd" in text and "MSP One Inc." in text
        screenshot(page, SCREENSHOTS / "portal-viewing-as.png")
    finally:
        ctx.close()


def test_a_foreign_filter_in_the_url_is_a_sentence(portal_server, chromium):
    ctx = new_context(chromium)
    try:
        page = ctx.new_page()
        sign_in(page, portal_server, "contoso-user")
        open_page(page, portal_server, "costs", "?region=us-west-2")     # one of Fabrikam's
        page.locator('[data-testid="stAlertContentError"]').wait_for()
        wait_idle(page)
        assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0
        assert "not one this customer used" in main_text(page)
    finally:
        ctx.close()
