"""The console's Organisations, Account mappings and FX rates in a real browser (issue #14): the
demo distributor's admin maps an unmapped sub-account and sees it gone from the unmapped list;
a screenshot of each page lands in tests/screenshots/ (console-setup-*.png) to be looked at, and
what it must show is asserted here.

Its own Streamlit server on its own copy of the small demo store (the test writes to it), with
the harness of tests/test_browser.py.
"""
from __future__ import annotations

import re
import shutil

import pytest

from tests.browser_support import ui_store

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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-setup")
    db = folder / "store" / "tierline.duckdb"
    db.parent.mkdir()
    shutil.copyfile(ui_store().browser_db, db)
    with streamlit_server(db, "console-setup-server.log", poll_seconds="0") as url:
        yield url


@pytest.fixture(scope="module")
def admin(chrome, server):  # noqa: F811  (chrome: the harness's fixture)
    ctx = new_context(chrome)
    page = ctx.new_page()
    sign_in(page, server, "dist-admin")
    yield page
    ctx.close()


def open_console(page, server: str, path: str, heading: str, last: str) -> None:
    """Open a console page and wait until it is drawn down to its `last` button."""
    page.goto(server + path)
    page.get_by_role("heading", name=heading).first.wait_for()
    page.get_by_role("button", name=last).first.wait_for()
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def account_options(page) -> list[str]:
    """The labels the "Accounts" multiselect offers (the unmapped accounts of the period)."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Accounts")
    box.locator("input").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    labels = [t.strip() for t in options.all_inner_texts() if t.strip() != "Select all"]
    page.keyboard.press("Escape")
    return labels


def test_root_admin_maps_an_unmapped_sub_account(server, admin):
    page = admin
    open_console(page, server, "/Account_mappings", "Account mappings", "Re-assign")
    assert "Unmapped accounts" in main_text(page)
    before = account_options(page)
    assert len(before) == 4, before                     # the demo's June: four unmapped accounts
    first = before[0]
    sub = re.search(r"sub-account (\S+)", first).group(1)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Accounts")
    box.locator("input").click()
    page.get_by_role("option", name=first).click()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="Map to customer").click()
    page.get_by_text("account(s) mapped to").first.wait_for()
    wait_idle(page)
    after = account_options(page)
    assert len(after) == 3 and not any(sub in label for label in after), after
    screenshot(page, SCREENSHOTS / "console-setup-mappings.png")
    text = main_text(page)
    assert "1 account(s) mapped to" in text and "Mappings of your customers" in text


def test_screenshots_of_organisations_and_fx_rates(server, admin):
    page = admin
    open_console(page, server, "/Organisations", "Organisations", "Create organisation")
    text = main_text(page)
    assert "Your organisation's tree" in text and "Create organisation" in text
    screenshot(page, SCREENSHOTS / "console-setup-organisations.png")
    open_console(page, server, "/FX_rates", "FX rates", "Remove rate")
    text = main_text(page)
    assert "Set a rate" in text and "Save rate" in text    # the table is a canvas: see the shot
    # the root's admin removes June's EUR->GBP rate: a pair in use, so the page warns at once
    page.get_by_role("button", name="Remove rate").click()
    page.get_by_text("EUR->GBP of 2025-06 removed").first.wait_for()
    wait_idle(page)
    text = main_text(page)
    assert "No EUR->GBP rate for 2025-06" in text and "britcloud" in text
    # the removed pair is no longer what the "Rate to remove" box shows (a click acts on what it shows)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Rate to remove")
    shown = box.inner_html()
    assert "EUR → GBP" not in shown and "EUR → USD" in shown, shown
    screenshot(page, SCREENSHOTS / "console-setup-fx-rates.png")
    # April has issued invoices: shown locked, nothing to edit
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Period").click()
    page.get_by_role("option", name="April 2025").click()
    page.get_by_text("April 2025 is locked").first.wait_for()
    # the run that drew it may still hold the previous period's form until it ends
    playwright_sync.expect(page.get_by_role("button", name="Save rate")).to_have_count(0)
    wait_idle(page)
    text = main_text(page)
    assert "April 2025 is locked" in text and "Save rate" not in text and "locked" in text
    screenshot(page, SCREENSHOTS / "console-setup-fx-locked.png")
