"""The console's monthly cycle in a real browser (issue #14): the demo distributor's admin
uploads a FOCUS file and sees it in the deliveries, re-runs billing of the open period and sees
the new draft total on the Costs page, issues a period and downloads one invoice PDF.

Its own Streamlit server on its own copy of the small demo store (the test writes to it), with
the harness of tests/test_browser.py. Screenshots of the three pages land in tests/screenshots/
(console-*.png) to be looked at; what they must show is asserted here.
"""
from __future__ import annotations

import csv
import io
import re
import shutil

import pytest

from tests.browser_support import ui_store
from tests.conftest import FOCUS_12_COLUMNS, focus_row

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

from tests.test_browser import (  # noqa: E402  (after the skip: the harness needs Playwright)
    SCREENSHOTS,
    chrome,  # noqa: F401  (the module's browser fixture)
    main_text,
    new_context,
    screenshot,
    sign_in,
    streamlit_server,
    wait_idle,
)

OPEN_LABEL = "June 2025"          # the demo's month to date (tests/browser_support.AS_OF)
UPLOAD = "aws-june-upload.csv"


def upload_file(folder) -> str:
    """One FOCUS row: 1000.00 USD of AWS usage in Contoso's production account (a customer of MSP
    One) under a payer account the demo never delivered, so it adds to June and replaces nothing."""
    row = focus_row(
        BillingAccountId="100000000777", SubAccountId="200000000011", InvoiceId="INV-UPLOAD-1",
        BillingPeriodStart="2025-06-01T00:00:00Z", BillingPeriodEnd="2025-07-01T00:00:00Z",
        ChargePeriodStart="2025-06-02T00:00:00Z", ChargePeriodEnd="2025-06-02T01:00:00Z",
        BilledCost="1000.00", EffectiveCost="1000.00", ListCost="1200.00", ContractedCost="1000.00")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FOCUS_12_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    path = folder / UPLOAD
    path.write_text(buf.getvalue(), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-ops")
    db = folder / "store" / "tierline.duckdb"
    db.parent.mkdir()
    shutil.copyfile(ui_store().browser_db, db)
    with streamlit_server(db, "console-ops-server.log", poll_seconds="0") as url:
        yield url


def wait_text(page, text: str) -> None:
    page.get_by_text(text).first.wait_for()
    wait_idle(page)


def costs_total(page, server: str) -> str:
    """The Total metric of MSP One's June invoice from Northwind, as the Costs page shows it."""
    page.goto(server + "/Costs?customer=msp-one&period=2025-06")
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Total").first
    metric.wait_for()
    wait_idle(page)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def amount(text: str):
    from decimal import Decimal
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def test_distributor_admin_uploads_bills_issues_and_downloads(server, chrome, tmp_path):  # noqa: F811
    ctx = new_context(chrome)
    page = ctx.new_page()
    try:
        sign_in(page, server, "dist-admin")
        before = costs_total(page, server)

        # Data: upload without re-pricing, so the Billing page's run is what changes the draft
        page.goto(server + "/Deliveries")
        page.get_by_role("heading", name="Upload FOCUS files").wait_for()
        wait_idle(page)
        page.get_by_text("Re-price the periods they touch").click()
        wait_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(upload_file(tmp_path))
        page.locator('[data-testid="stFileUploader"]').get_by_text(UPLOAD).wait_for()
        wait_idle(page)
        ingest = page.get_by_role("button", name="Ingest")
        playwright_sync.expect(ingest).to_be_enabled()
        ingest.click()
        wait_text(page, f"{UPLOAD}: 1 row loaded as delivery")
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        text = main_text(page)
        assert "Refused files" in text and not page.locator('[data-testid="stAlertContentError"]').count()
        screenshot(page, SCREENSHOTS / "console-deliveries.png")
        grid = page.locator('[data-testid="stDataFrame"]').first
        playwright_sync.expect(grid).to_contain_text(UPLOAD)   # the grid's accessible cells, once drawn
        assert costs_total(page, server) == before           # not re-priced yet

        # Billing: re-run the open period; the portal shows the new draft at once (no TTL wait)
        page.goto(server + "/Billing")
        run = page.get_by_role("button", name=f"Re-run billing for {OPEN_LABEL}")
        run.wait_for()
        wait_idle(page)
        run.click()
        wait_text(page, "for 2025-06: ok.")
        text = main_text(page)
        assert "Latest run" in text and "Rows priced" in text and "Unassigned cost" in text
        screenshot(page, SCREENSHOTS / "console-billing.png")
        after = costs_total(page, server)
        assert after != before and amount(after) > amount(before), (before, after)

        # Invoices: issue May with the confirmation, then download one PDF
        page.goto(server + "/Issue_invoices?period=2025-05")
        issue = page.get_by_role("button", name=re.compile(r"^Issue \d+ invoices"))
        issue.wait_for()
        wait_idle(page)
        count = int(re.search(r"Issue (\d+) invoices", issue.inner_text()).group(1))
        issue.click()
        confirm = page.get_by_role("button", name=f"Yes, issue {count} invoices")
        confirm.wait_for()
        assert re.search(rf"Issue {count} invoices of Northwind Distribution for May 2025, total ",
                         main_text(page))
        wait_idle(page)
        confirm.click()
        wait_text(page, f"Issued {count} invoices for May 2025: NWD-")
        pdf_button = page.get_by_role("button", name="Invoice PDF")
        pdf_button.wait_for()
        wait_idle(page)
        screenshot(page, SCREENSHOTS / "console-issue-invoices.png")
        text = main_text(page)
        assert "Accounting files" in text and "Credit note" in text and "E-mail" in text
        box = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text("Invoice", exact=True))
        picked = box.locator("input").first.input_value() or box.text_content()   # the shown choice
        assert "NWD-" in picked and "Draft" not in picked, picked     # the issued number, not "Draft"
        with page.expect_download() as info:
            pdf_button.click()
        download = info.value
        assert download.suggested_filename.startswith("NWD-") and download.suggested_filename.endswith(".pdf")
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        assert target.read_bytes().startswith(b"%PDF")
    finally:
        ctx.close()
