"""The QBR page in a real browser (issue #13): signed in as an account manager through the form,
the review of an assigned customer opened by URL, its screenshot (tests/screenshots/
qbr-account-manager.png, looked at), the PDF pack downloaded with one click, and an unassigned
customer forged into the URL refused with a sentence and no data.

The server runs on a copy of the QBR test store (tests/test_qbr.py: 2026Q3 holds three months).
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from components.pickers import NOT_YOURS_CUSTOMER
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    main_text,
    new_context,
    playwright_sync,
    screenshot,
    sign_in,
    streamlit_server,
    wait_idle,
    wait_nav,
)
from tests.test_qbr import QUARTER, invoice_subtotals, qbr_demo_store

pytestmark = pytest.mark.browser

AMOUNT = re.compile(r"\b(USD|EUR|GBP)\s?-?[\d,]+\.\d{2}\b")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    copy = tmp_path_factory.mktemp("qbr-browser") / "tierline.duckdb"
    shutil.copyfile(qbr_demo_store(), copy)
    return copy


@pytest.fixture(scope="module")
def server(store):
    with streamlit_server(store, "streamlit-server-qbr.log", poll_seconds="0") as url:
        yield url


@pytest.fixture(scope="module")
def account_manager(server):
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        ctx = new_context(browser)
        page = ctx.new_page()
        sign_in(page, server, "msp-am")
        yield page
        ctx.close()
        browser.close()


def open_qbr(page, server: str, query: str) -> None:
    page.goto(f"{server}/QBR{query}")
    page.wait_for_selector('[data-testid="stApp"]')
    wait_nav(page)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stAlertContentError\"]')"
        " || document.querySelector('[data-testid=\"stDownloadButton\"]')")
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def test_account_manager_sees_the_review_and_downloads_the_pack(server, store, account_manager, tmp_path):
    page = account_manager
    open_qbr(page, server, f"?customer=contoso&quarter={QUARTER}")
    total = sum(v for _, v in invoice_subtotals(qbr_demo_store()))   # the same store, not served
    page.get_by_role("heading", name="Contoso Ltd · Q3 2026").wait_for()
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    text = main_text(page)
    assert "Quarterly business review" in text
    assert f"EUR {total:,.2f}" in text                        # the quarter total metric
    for section in ("Spend by month and provider", "Biggest movers against 2026Q2", "Notable days",
                    "Next steps"):
        assert section in text
    screenshot(page, SCREENSHOTS / "qbr-account-manager.png")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the QBR pack (PDF)").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.name == f"qbr-contoso-{QUARTER}.pdf" and pdf.read_bytes().startswith(b"%PDF")
    pdf_text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
    assert f"EUR {total:,.2f}" in pdf_text and "Contoso Ltd" in pdf_text


def test_an_unassigned_customer_in_the_url_is_refused(server, account_manager):
    page = account_manager
    open_qbr(page, server, f"?customer=adventure-works&quarter={QUARTER}")
    page.get_by_text(NOT_YOURS_CUSTOMER).wait_for()
    text = main_text(page)
    assert "Adventure Works" not in text and not AMOUNT.search(text)
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
