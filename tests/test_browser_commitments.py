"""The Commitments page in a real browser (issue #15): the single-customer violation, the
inventory with its under-used reservation and the lost partner-earned credit alert, as the
distributor's administrator sees them on the small UI demo store (tests/browser_support.py:
periods 2025-04 to 2025-06, the page opens on the latest). Screenshots land in tests/screenshots/
(commitments-*.png) to be looked at; the same harness as tests/test_browser.py.
"""
from __future__ import annotations

import pytest

from tests.test_browser import (  # noqa: F401  (chrome, ctx, server: fixtures)
    SCREENSHOTS,
    chrome,
    ctx,
    main_text,
    screenshot,
    server,
    sign_in,
    wait_idle,
    wait_nav,
)

pytestmark = pytest.mark.browser


def open_commitments(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Commitments").click()
    page.get_by_role("heading", name="Commitments").first.wait_for()
    wait_nav(page)
    page.locator('[data-testid="stDownloadButton"]').first.wait_for()   # the inventory's CSV: drawn
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def alert(page, text: str):
    return page.locator('[data-testid="stAlert"]').filter(has_text=text).first


def test_commitments_page_as_the_distributor_admin(server, ctx):
    page = ctx.new_page()
    sign_in(page, server, "dist-admin")
    open_commitments(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, SCREENSHOTS / "commitments-admin.png")

    violation = alert(page, "covered usage of a customer that does not own the commitment")
    violation.wait_for()
    under = alert(page, "Under-used")
    pec = alert(page, "Partner-earned credit lost")
    assert "Tailspin Toys" in pec.inner_text() and "2025-05" in pec.inner_text()
    assert "Kingsbridge" not in pec.inner_text()
    assert "utilisation" in under.inner_text()
    grids = page.locator('[data-testid="stDataFrame"]')
    assert grids.count() == 5          # violations, inventory, credits, policies, coverage
    violation.screenshot(path=str(SCREENSHOTS / "commitments-violation-alert.png"))
    grids.nth(0).screenshot(path=str(SCREENSHOTS / "commitments-violations.png"))
    grids.nth(1).screenshot(path=str(SCREENSHOTS / "commitments-inventory.png"))
    pec.screenshot(path=str(SCREENSHOTS / "commitments-pec-alert.png"))
    under.screenshot(path=str(SCREENSHOTS / "commitments-under-used.png"))


def test_commitments_page_as_the_reseller_admin(server, ctx):
    page = ctx.new_page()
    sign_in(page, server, "msp-admin")
    open_commitments(page)
    screenshot(page, SCREENSHOTS / "commitments-msp-admin.png")
    text = main_text(page)
    assert "does not own the commitment" in text
    assert "Partner-earned credit lost" not in text      # Northwind keeps that credit, not MSP One
    assert "Kingsbridge" not in text
