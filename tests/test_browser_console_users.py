"""Issue #14 in a real browser: a user invited by an admin (through the console's function: the
form is driven in AppTest) shows on the Users page, and signs in
with the temporary password, gets the "choose a new password" form and nothing else, chooses one
and lands on Home. Screenshots of the Users page and the Audit log (tests/screenshots/, looked
at when they change).

Its own Streamlit server on its own copy of the small demo store: the invite changes the
configuration, which the other browser tests must not see.
"""
from __future__ import annotations

import re
import shutil

import pytest

from tests.browser_support import PASSWORD, ui_store
from tests.test_browser import (
    CHROMIUM,
    SCREENSHOTS,
    main_text,
    new_context,
    screenshot,
    sign_in,
    sign_out,
    streamlit_server,
    wait_cookie,
    wait_idle,
    wait_nav,
    wait_sign_in_form,
)

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
NEW_PASSWORD = "a-long-passphrase-of-her-own"


@pytest.fixture(scope="module")
def invited(tmp_path_factory):
    """A copy of the demo store where ch-admin has invited nina.neu (a practice leader of
    CloudHaus) through the console's own function; returns (store, temporary password). The
    invite form itself is driven in AppTest (tests/test_console_users.py): here the browser
    checks what the invited person meets."""
    from data.console.users import invite_user
    from data.store import connect
    from queries.scope import scope_for_user

    db = tmp_path_factory.mktemp("users-browser") / "tierline.duckdb"
    shutil.copyfile(ui_store().browser_db, db)
    con = connect(db)
    try:
        made = invite_user(con, scope_for_user(con, "ch-admin"), username="nina.neu", name="Nina Neu",
                           email="nina@cloudhaus.example", org="cloudhaus", roles=["leader"])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return db, made.password


@pytest.fixture(scope="module")
def server(invited):
    with streamlit_server(invited[0], "streamlit-users.log", poll_seconds="0") as url:
        yield url


@pytest.fixture(scope="module")
def chrome():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


def open_users(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url(re.compile(r"/Users(\?.*)?$"))
    page.get_by_role("heading", name="Users").first.wait_for()
    drawn(page)


def drawn(page) -> None:
    """The run is over and no element is still a loading skeleton."""
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def test_invite_then_first_sign_in_with_a_new_password(server, invited, chrome):
    admin_ctx = new_context(chrome)
    page = admin_ctx.new_page()
    sign_in(page, server, "ch-admin")
    open_users(page)
    text = main_text(page)
    assert "Katrin Vogel" in text and "msp-am" not in text and "$2b$" not in text, text
    page.get_by_label("User", exact=True).click()      # the picker lists the subtree's users only
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert any("rheinwerk-user" in o for o in options) and not any("msp" in o for o in options)
    temporary = invited[1]
    assert len(temporary) >= 16
    drawn(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, SCREENSHOTS / "admin-users.png")
    grid = page.locator('[data-testid="stDataFrame"]').first        # the users, as grid cells
    playwright_sync.expect(grid).to_contain_text("nina.neu")
    playwright_sync.expect(grid).to_contain_text("must change password")
    shown = main_text(page) + (grid.text_content() or "")
    assert "$2b$" not in shown and temporary not in shown   # shown once, when made: never again

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Audit log", exact=True).click()
    page.wait_for_url(re.compile(r"/Audit_log(\?.*)?$"))
    page.get_by_role("textbox", name="Target contains").fill("nina")
    page.keyboard.press("Enter")
    page.get_by_text("Nothing to show").or_(page.locator('[data-testid="stDataFrame"]')).first.wait_for()
    drawn(page)
    audit_text = main_text(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 1    # the grid is a canvas:
    assert "Nothing to show" not in audit_text                            # its rows: the screenshot
    assert temporary not in audit_text and "$2b$" not in audit_text
    screenshot(page, SCREENSHOTS / "admin-audit-filtered.png")
    sign_out(page)
    admin_ctx.close()

    ctx = new_context(chrome)
    page = ctx.new_page()
    page.goto(server + "/")
    wait_sign_in_form(page)
    page.get_by_role("textbox", name="Username").fill("nina.neu")
    page.get_by_role("textbox", name="Password").fill(temporary)
    page.get_by_role("button", name="Sign in").click()
    # .first: while the sign-in's reruns settle, Streamlit can show the form's stale copy beside
    # the new one for a moment (wait_idle then waits them out; two lasting forms still fail below)
    page.get_by_role("heading", name="Choose a new password").first.wait_for()
    wait_idle(page)
    assert page.locator('[data-testid="stSidebar"]').get_by_role("link").count() == 0
    wait_cookie(page, True)                          # the session cookie is written
    page.goto(server + "/Costs")                     # a typed URL opens nothing else either
    page.get_by_role("heading", name="Choose a new password").first.wait_for()
    wait_idle(page)
    page.goto(server + "/")                          # and from Home again: the form once more
    page.get_by_role("heading", name="Choose a new password").first.wait_for()
    drawn(page)
    screenshot(page, SCREENSHOTS / "first-sign-in-new-password.png")
    page.get_by_role("textbox", name="Temporary password").fill(temporary)
    page.get_by_role("textbox", name="New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("textbox", name="New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    page.get_by_role("heading", name="Welcome, Nina Neu").wait_for()     # Home
    wait_nav(page)
    wait_idle(page)
    assert "Choose a new password" not in main_text(page)
    sign_out(page)
    ctx.close()

    ctx = new_context(chrome)
    page = ctx.new_page()
    sign_in(page, server, "nina.neu", NEW_PASSWORD)  # her own password from now on
    assert PASSWORD != NEW_PASSWORD
    ctx.close()
