"""The console's monthly cycle in a real browser (issue #14), as one flow of the demo
distributor's admin: maps an unmapped sub-account, changes a rule of one of its plans on the
What-if page, sees the preview change and saves it, uploads a FOCUS file and sees it in the
deliveries, re-runs billing of the open period and sees the new draft total on the Costs page
(to the cent: the same changes made through the app's own functions on another copy of the store
say what it must be), issues a period and downloads one invoice PDF.

Its own Streamlit server on its own copy of the small demo store (the test writes to it), with
the harness of tests/test_browser.py. Screenshots of the pages land in tests/screenshots/
(console-*.png) to be looked at; what they must show is asserted here.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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

OPEN = date(2025, 6, 1)
OPEN_LABEL = "June 2025"          # the demo's month to date (tests/browser_support.AS_OF)
CLOSED = date(2025, 5, 1)         # billed in full, still draft: the What-if prices it
UPLOAD = "aws-june-upload.csv"
ADMIN = "dist-admin"              # Northwind Distribution's admin: the root's, so it sees unmapped accounts
PLAN = "dist-standard"            # Northwind's plan for MSP One (data/demo/config.yaml)
BUYER = "msp-one"
CUSTOMER = "adventure-works"      # a customer of MSP One: what its accounts cost lands on MSP One's invoice
UNMAPPED_SUB = "northwind-internal-tools-4410"   # June's largest unmapped account (Google Cloud, USD)
OLD_DISCOUNT, NEW_DISCOUNT = "10", "15"   # the plan's default rule: 10 % off list, made 15 %


def upload_bytes() -> bytes:
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
    return buf.getvalue().encode("utf-8")


def upload_file(folder) -> str:
    path = folder / UPLOAD
    path.write_bytes(upload_bytes())
    return str(path)


@dataclass(frozen=True)
class Expected:
    """What the pages must show, as the app's own functions compute it on a copy of the store."""
    before: str              # MSP One's June draft total before any change (Costs page text)
    current_subtotal: str    # the What-if row of MSP One for May: the invoiced subtotal ...
    new_subtotal: str        # ... and the subtotal with the changed rule (table text, no currency)
    difference: str
    new_margin: str          # what Northwind would have earned on MSP One in May with the rule
    after: Decimal           # June's draft total after the mapping, the rule, the upload and the re-run
    after_old_rule: Decimal  # the same without the rule change


def changed_rules(form_rules: list[dict]) -> list[dict]:
    """The plan's rules as the browser leaves them: the default rule's discount made NEW_DISCOUNT."""
    rules = [dict(r) for r in form_rules]
    default = rules[0]
    assert str(default["discount_pct"]) == OLD_DISCOUNT and default["basis"] == "list", default
    assert not any(default.get(c) for c in ("ProviderName", "ServiceCategory", "ServiceName")), default
    default["discount_pct"] = NEW_DISCOUNT
    return rules


def predict(db, *, new_rule: bool) -> dict:
    """The admin's steps done through the functions the pages call (data.console.mappings,
    data.whatif, data.config.save_plan, data.console.operations) on the store `db`."""
    from data.config import save_plan
    from data.console import mappings
    from data.console import operations as op
    from data.store import connect
    from data.whatif import plan_form, plan_from_form, plan_yaml, plans_for_whatif, what_if
    from queries import scope as q
    from queries.reports.invoices import customer_summary

    con = connect(db)
    try:
        def scope():                 # read again after each change, as each page run does
            return q.scope_for_user(con, ADMIN)
        out: dict = {"before": customer_summary(con, scope(), BUYER, OPEN)["total"]}
        account = next(a for a in mappings.unmapped(con, scope(), OPEN) if a["sub_account_id"] == UNMAPPED_SUB)
        mappings.assign_unmapped(con, scope(), [account], CUSTOMER)
        if new_rule:
            base = next(p for p in plans_for_whatif(con, scope()) if p["id"] == PLAN)
            form = plan_form(base)
            plan = plan_from_form(base, rules=changed_rules(form["rules"]), bands=form["bands"],
                                  fees=form["fees"], tiers_mode=form["tiers_mode"] or None,
                                  credits=form["credits"], commitments=form["commitments"])
            out["preview"] = next(r for r in what_if(con, scope(), CLOSED, plan) if r["buyer"] == BUYER)
            save_plan(con, scope(), plan_yaml(plan), PLAN)
        outcome = op.ingest_upload(con, scope(), UPLOAD, upload_bytes(), reprice=False)
        assert outcome.status == "loaded", outcome
        assert op.run_period(con, scope(), OPEN).ok
        out["after"] = customer_summary(con, scope(), BUYER, OPEN)["total"]
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> Expected:
    from components.money import fmt, number

    runs = {}
    for new_rule in (True, False):
        db = tmp_path_factory.mktemp("console-ops-oracle") / "tierline.duckdb"
        shutil.copyfile(ui_store().browser_db, db)
        runs[new_rule] = predict(db, new_rule=new_rule)
    preview = runs[True]["preview"]
    return Expected(before=fmt(runs[True]["before"], "USD"),
                    current_subtotal=number(preview["current_subtotal"], "USD"),
                    new_subtotal=number(preview["new_subtotal"], "USD"),
                    difference=number(preview["difference"], "USD"),
                    new_margin=number(preview["new_margin"], "USD"),
                    after=runs[True]["after"], after_old_rule=runs[False]["after"])


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


def wait_drawn(page) -> None:
    """The run is over and no element is still a loading skeleton."""
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def costs_total(page, server: str) -> str:
    """The Total metric of MSP One's June invoice from Northwind, as the Costs page shows it."""
    page.goto(server + "/Costs?customer=msp-one&period=2025-06")
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Total").first
    metric.wait_for()
    wait_idle(page)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def account_options(page) -> list[str]:
    """The labels the "Accounts" multiselect offers (the unmapped accounts of the period)."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Accounts")
    box.locator("input").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    labels = [t.strip() for t in options.all_inner_texts() if t.strip() != "Select all"]
    page.keyboard.press("Escape")
    return labels


def map_unmapped_account(page, server: str) -> None:
    """Account mappings: June's largest unmapped account mapped to a customer of MSP One."""
    page.goto(server + "/Account_mappings")
    page.get_by_role("heading", name="Account mappings").first.wait_for()
    page.get_by_role("button", name="Re-assign").first.wait_for()
    wait_drawn(page)
    assert "Unmapped accounts" in main_text(page)
    playwright_sync.expect(page.get_by_role("combobox", name="Period")).to_have_value(OPEN_LABEL)
    before = account_options(page)
    assert len(before) == 4 and UNMAPPED_SUB in before[0], before    # largest first
    unmapped = page.locator('[data-testid="stDataFrame"]').first      # the period's unmapped accounts
    playwright_sync.expect(unmapped).to_contain_text(UNMAPPED_SUB)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Accounts")
    box.locator("input").click()
    page.get_by_role("option", name=before[0]).click()
    page.keyboard.press("Escape")
    playwright_sync.expect(box).to_contain_text(UNMAPPED_SUB)          # the picked account's chip
    wait_idle(page)
    customer = page.get_by_role("combobox", name="Customer", exact=True)   # the other tab's is hidden
    customer.click()
    page.get_by_role("option").filter(has_text=f"({CUSTOMER})").click()
    playwright_sync.expect(customer).to_have_value(f"Adventure Works Cycles ({CUSTOMER})")
    wait_idle(page)
    page.get_by_role("button", name="Map to customer").click()
    wait_text(page, f"1 account(s) mapped to Adventure Works Cycles ({CUSTOMER}).")
    after = account_options(page)
    assert len(after) == 3 and not any(UNMAPPED_SUB in label for label in after), after
    playwright_sync.expect(unmapped).not_to_contain_text(UNMAPPED_SUB)
    playwright_sync.expect(unmapped).to_contain_text("northwind-csp-eu")   # the others stay listed
    screenshot(page, SCREENSHOTS / "console-mappings.png")
    text = main_text(page)
    assert f"1 account(s) mapped to Adventure Works Cycles ({CUSTOMER})." in text
    assert "Mappings of your customers" in text


def edit_cell(page, grid, column: int, value: str) -> None:
    """Type `value` into the first row's cell `column` of a data editor (a canvas grid, cells
    drawn, not elements): select its first cell with a click (right of the row markers, which
    select the whole row), move right with the keyboard, open the cell's editor with Enter,
    replace the text and press Enter to commit it. Each step waits for the grid to have taken
    the previous one: a key pressed before the click's selection lands is lost."""
    def selected(col: int) -> None:      # the grid's accessible twin marks the selected cell
        grid.locator(f'td[data-testid="glide-cell-{col}-0"][aria-selected="true"]').wait_for(state="attached")

    box = grid.bounding_box()
    row = 35                             # Streamlit's row height: the heading row, then row 0
    marker = 34                          # a dynamic editor's row-marker column (1 in the twin) comes first
    page.mouse.click(box["x"] + marker + 40, box["y"] + row + row / 2)
    selected(1)
    for col in range(2, column + 2):
        page.keyboard.press("ArrowRight")
        selected(col)
    page.keyboard.press("Enter")
    editor = page.locator("textarea.gdg-input")
    editor.wait_for()
    editor.fill(value)
    editor.press("Enter")
    editor.wait_for(state="detached")


def change_rule_and_save(page, server: str, expected: Expected) -> None:
    """What-if: the default rule of Northwind's plan for MSP One made 15 % off list; the preview
    of May shows MSP One's new subtotal; saved as the plan."""
    from data.whatif import RULE_COLUMNS

    page.goto(server + "/What_if?period=2025-05")
    heading = page.get_by_role("heading", name="May 2025, priced with the changed plan")
    heading.wait_for()
    page.get_by_role("button", name="Save as the plan").wait_for()
    wait_drawn(page)
    playwright_sync.expect(page.get_by_role("combobox", name="Plan")).to_have_value(re.compile(rf"\({PLAN}\)$"))
    playwright_sync.expect(page.get_by_role("combobox", name="Period")).to_have_value("May 2025")
    grids = page.locator('[data-testid="stDataFrame"]')
    rules, result = grids.first, grids.last
    playwright_sync.expect(rules).to_contain_text(OLD_DISCOUNT)
    playwright_sync.expect(result).to_contain_text("MSP One")
    playwright_sync.expect(result).to_contain_text(expected.current_subtotal)
    playwright_sync.expect(result).not_to_contain_text(expected.new_subtotal)

    edit_cell(page, rules, RULE_COLUMNS.index("discount_pct"), NEW_DISCOUNT)
    # the edit reruns the page: the preview shows the rule's effect on May, to the cent
    playwright_sync.expect(result).to_contain_text(expected.new_subtotal)
    wait_drawn(page)
    playwright_sync.expect(result).to_contain_text(expected.current_subtotal)
    playwright_sync.expect(result).to_contain_text(expected.difference)
    playwright_sync.expect(result).to_contain_text(expected.new_margin)
    playwright_sync.expect(rules).to_contain_text(NEW_DISCOUNT)
    assert not page.locator('[data-testid="stAlertContentError"]').count()
    screenshot(page, SCREENSHOTS / "console-what-if.png")

    page.get_by_role("button", name="Save as the plan").click()
    wait_text(page, "It applies from the next billing run.")
    text = main_text(page)
    assert re.search(r"Saved as configuration version \d+\.", text), text
    playwright_sync.expect(rules).to_contain_text(NEW_DISCOUNT)   # the saved plan is what the form shows


def test_distributor_admin_maps_changes_a_rule_bills_uploads_issues_and_downloads(
        server, expected, chrome, tmp_path):  # noqa: F811
    # the rule change matters: a larger discount gives a lower draft than the same month without it
    assert expected.after < expected.after_old_rule, expected
    ctx = new_context(chrome)
    page = ctx.new_page()
    try:
        sign_in(page, server, ADMIN)
        before = costs_total(page, server)
        assert before == expected.before, (before, expected)

        # Setup: map an unmapped account, change a rule on the What-if page, save it as the plan
        map_unmapped_account(page, server)
        change_rule_and_save(page, server, expected)
        assert costs_total(page, server) == before           # applies from the next billing run

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
        # the mapping, the new rule and the upload, to the cent; not the total of the old rule
        assert amount(after) == expected.after, (after, expected)
        assert amount(after) < expected.after_old_rule, (after, expected)

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
