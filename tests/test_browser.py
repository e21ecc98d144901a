"""What only a real browser shows: URL access, the sign-in cookie, sign-out revocation, layout.

Starts `streamlit run app.py` on a free port against a copy of the small demo store, and drives
Debian's headless Chromium with Playwright. No fixed sleeps: the server is awaited on its health
endpoint, pages on their selectors. Screenshots land in tests/screenshots/ (git-ignored).
"""
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from data.store import ROOT
from tests.browser_support import PASSWORD, customer_names_except, ui_env, ui_store

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = ROOT / "tests" / "screenshots"
COOKIE = "tierline_session"
URLS = {  # Streamlit's folder-based pages: /<name without number prefix>
    "home": "/", "costs": "/Costs", "invoices": "/Invoices", "margins": "/Margins",
    "reconciliation": "/Reconciliation", "deliveries": "/Deliveries", "audit": "/Audit_log",
    "plans": "/Plans",
}
LINKS = {"home": "Home", "costs": "Costs", "invoices": "Invoices", "margins": "Margins",
         "reconciliation": "Reconciliation", "deliveries": "Deliveries", "audit": "Audit log",
         "plans": "Plans"}
DOWNLOADS = {"home": 0, "costs": 2, "invoices": 2, "margins": 1, "reconciliation": 2,
             "deliveries": 1, "audit": 1, "plans": 0}   # a page is drawn when its last download is
AMOUNT = re.compile(r"\b(USD|EUR|GBP)\s?-?[\d,]+\.\d{2}\b")
TIMEOUT_MS = 60_000   # generous: a loaded 2-core CI machine is slow, never a reason to fail

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # polling the health endpoint: there is nothing to await instead
    raise TimeoutError("streamlit did not become healthy")


@contextlib.contextmanager
def streamlit_server(db: Path, log_name: str, poll_seconds: str):
    """`make run`'s app on `db`, on a free port of 127.0.0.1; yields its URL. The server's output
    goes to tests/screenshots/<log_name>, kept next to the screenshots for a failed run."""
    port = _free_port()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log = SCREENSHOTS / log_name
    env = {**os.environ, **ui_env(db, poll_seconds=poll_seconds)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, time.monotonic() + 60)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("FAILED-*.png"):
        old.unlink()
    with streamlit_server(ui_store().browser_db, "streamlit-server.log", poll_seconds="5") as url:
        yield url


@pytest.fixture(scope="module")
def chrome():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def new_context(chrome):
    ctx = chrome.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


@pytest.fixture
def ctx(chrome):
    c = new_context(chrome)
    yield c
    c.close()


# --- helpers -----------------------------------------------------------------------------------

def open_page(page, server: str, name: str, query: str = "") -> None:
    """Open a page by its URL: a new browser session, as a bookmark or a typed URL would."""
    page.goto(server + URLS[name] + query)
    page.wait_for_selector('[data-testid="stApp"]')


def follow_link(page, name: str) -> None:
    """Open a page through the sidebar navigation (same session, no reload)."""
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=LINKS[name], exact=True).click()
    page.wait_for_url(re.compile(re.escape(URLS[name]) + r"(\?.*)?$"))


def wait_sign_in_form(page) -> None:
    page.get_by_role("button", name="Sign in").wait_for()


def wait_idle(page) -> None:
    """The page's script run has finished (Streamlit marks the app root with its run state)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def wait_nav(page) -> None:
    """The signed-in sidebar is drawn (its last element is the sign-out button)."""
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").wait_for()


def wait_drawn(page, name: str) -> None:
    """A signed-in page is completely drawn: its refusal, or its last download button, or (home)
    its quick links; then the run is over and no element is still a loading skeleton."""
    wait_nav(page)
    if name == "home":
        page.get_by_text("Where to go").first.wait_for()   # a rerun may still show the stale copy
    else:
        page.wait_for_function(
            "n => document.querySelector('[data-testid=\"stAlertContentError\"]')"
            " || document.querySelectorAll('[data-testid=\"stDownloadButton\"]').length >= n",
            arg=DOWNLOADS[name])
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def main_text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text()


def sign_in(page, server: str, username: str, password: str = PASSWORD) -> None:
    open_page(page, server, "home")
    wait_sign_in_form(page)
    page.evaluate(_WATCH_COOKIE_RERUN)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=re.compile("^Welcome, ")).wait_for()
    wait_nav(page)
    # The invisible cookie component writes the cookie, then reports back, which reruns the page;
    # a navigation click before that rerun is over can be overtaken by it (the URL moves, the
    # page stays). So the sign-in is over when a run has finished after the cookie appeared, or,
    # when a loaded machine noticed the cookie only after that run (the 5 ms timer runs late),
    # when the app has been idle for a while since it noticed.
    page.wait_for_function("""() => {
        const t = window.__tl;
        const idle = document.querySelector('[data-testid="stApp"]')
            .getAttribute('data-test-script-state') === 'notRunning';
        return t.cookieAt > 0 && (t.idleAt > t.cookieAt || (idle && performance.now() - t.cookieAt > 1500));
    }""")
    wait_idle(page)


_WATCH_COOKIE_RERUN = f"""() => {{
    window.__tl = {{cookieAt: 0, idleAt: 0}};
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => {{
        if (app.getAttribute('data-test-script-state') === 'notRunning') window.__tl.idleAt = performance.now();
    }}).observe(app, {{attributes: true, attributeFilter: ['data-test-script-state']}});
    const timer = setInterval(() => {{
        if (document.cookie.split('; ').some(c => c.startsWith('{COOKIE}='))) {{
            window.__tl.cookieAt = performance.now();
            clearInterval(timer);
        }}
    }}, 5);
}}"""


def wait_cookie(page, present: bool) -> None:
    js = f"() => document.cookie.split('; ').some(c => c.startsWith('{COOKIE}='))"
    page.wait_for_function(js if present else f"() => !({js})()")


def sign_out(page) -> None:
    wait_idle(page)   # a click during a rerun can land on an element being replaced
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out.").wait_for()


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main area, so grow the viewport to fit."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stMainBlockContainer\"]')].map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 5000)})
    wait_idle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 900})


# --- tests -------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _screenshot_on_failure(request):
    """Keep what the browser showed when a test fails (tests/screenshots/FAILED-<test>.png)."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        pages = [v for v in request.node.funcargs.values() if hasattr(v, "screenshot")]
        pages += [p for v in request.node.funcargs.values() if hasattr(v, "pages") for p in v.pages]
        for i, page in enumerate(pages):
            page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{i}.png"))


@pytest.fixture(scope="module")
def anonymous(chrome):
    """One browser that never signs in (a shared context keeps the app's scripts cached)."""
    c = new_context(chrome)
    yield c.new_page()
    c.close()


@pytest.fixture(scope="module")
def customer(chrome, server):
    """A browser signed in as contoso-user through the form."""
    c = new_context(chrome)
    page = c.new_page()
    sign_in(page, server, "contoso-user")
    yield page
    c.close()


@pytest.mark.parametrize("name", list(URLS))
def test_every_url_without_signing_in_shows_only_the_form(server, anonymous, name):
    page = anonymous
    open_page(page, server, name, "?customer=contoso&period=2025-05&invoice=1")
    wait_sign_in_form(page)
    wait_idle(page)
    text = main_text(page)
    assert not AMOUNT.search(text)
    assert [n for n in customer_names_except() if n in text] == []
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # automatic nav hidden
    assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0


def test_wrong_password_shows_a_sentence(server, anonymous):
    page = anonymous
    open_page(page, server, "home")
    wait_sign_in_form(page)
    page.get_by_role("textbox", name="Username").fill("dist-leader")
    page.get_by_role("textbox", name="Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("The username or password is not right").wait_for()
    assert "Traceback" not in main_text(page)


def test_sign_in_and_out_through_the_form(server, ctx):
    page = ctx.new_page()
    sign_in(page, server, "dist-leader")
    wait_cookie(page, True)
    assert "Leon Brandt" in main_text(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    for name in ("home", "costs", "invoices", "margins", "reconciliation"):
        assert LINKS[name] in sidebar
    assert "Audit log" not in sidebar and "Deliveries" not in sidebar   # admin pages
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    sign_out(page)
    wait_cookie(page, False)
    page.reload()
    page.wait_for_selector('[data-testid="stApp"]')
    wait_sign_in_form(page)  # nothing brings the session back


def test_cookie_replayed_after_sign_out_opens_nothing(server, chrome, ctx):
    page = ctx.new_page()
    sign_in(page, server, "msp-admin")
    wait_cookie(page, True)
    saved = [c for c in ctx.cookies() if c["name"] == COOKIE]
    assert saved, "the sign-in cookie was not set"

    before = new_context(chrome)             # control: the cookie opens pages while signed in
    p1 = before.new_page()
    before.add_cookies(saved)
    open_page(p1, server, "home")
    wait_drawn(p1, "home")

    sign_out(page)
    after = new_context(chrome)              # a stolen copy of the cookie, replayed
    p2 = after.new_page()
    after.add_cookies(saved)
    for name in ("costs", "audit"):
        open_page(p2, server, name)
        wait_sign_in_form(p2)
        wait_idle(p2)
        assert not AMOUNT.search(main_text(p2))
        assert p2.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0
    after.close()

    p1.reload()                              # the session that used it before ends too
    p1.wait_for_selector('[data-testid="stApp"]')
    wait_sign_in_form(p1)
    before.close()


def test_customer_sees_only_its_own_name_and_totals(server, customer):
    page = customer
    others = customer_names_except("contoso")
    for name in ("costs", "invoices", "home"):
        follow_link(page, name)
        wait_drawn(page, name)
        text = main_text(page)
        assert [n for n in others if n in text] == [], name
        if name == "costs":
            assert "Contoso Ltd" in text and re.search(r"EUR [\d,]+\.\d{2}", text)
    for name, query in (("margins", ""), ("audit", ""), ("costs", "?customer=fabrikam")):
        open_page(page, server, name, query)  # by URL: not in a customer's navigation
        wait_drawn(page, name)
        text = main_text(page)
        assert page.locator('[data-testid="stAlertContentError"]').count() == 1
        assert [n for n in others if n in text] == [], name
        assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0


def test_portal_total_is_the_invoice_total_to_the_cent(server, customer):
    """The promise: the month total a customer sees in the portal is its invoice's total, to the
    cent, on the Invoices page and in the store's invoice (issued or draft)."""
    from components.money import fmt
    from data.store import connect
    from queries import scope

    store = ui_store()
    con = connect(store.apptest_db)
    who = scope.scope_for_user(con, "contoso-user")
    latest = max(scope.visible_periods(con, who))
    (invoice,) = [i for i in scope.invoices(con, who, latest) if i["buyer"] == "contoso"]
    expected = fmt(invoice["total"], invoice["currency"])

    page = customer
    follow_link(page, "costs")
    wait_drawn(page, "costs")
    portal = page.locator('[data-testid="stMetric"]').filter(has_text="Total").first
    assert portal.locator('[data-testid="stMetricValue"]').inner_text().strip() == expected

    follow_link(page, "invoices")
    wait_drawn(page, "invoices")
    on_invoice = page.locator('[data-testid="stMetric"]').filter(has_text="Total").first
    assert on_invoice.locator('[data-testid="stMetricValue"]').inner_text().strip() == expected


TITLES = {"costs": "Costs", "invoices": "Invoices", "margins": "Margins", "reconciliation": "Reconciliation",
          "deliveries": "Deliveries", "audit": "Audit log", "plans": "Price plans"}
WITH_AMOUNTS = {"costs", "invoices"}                      # headline metrics: text on the page
WITH_TABLES = {"margins", "reconciliation", "deliveries", "audit"}   # figures drawn in data grids


def _screenshots(page, server, role: str, allowed: set[str]) -> None:
    """Every page as `role` sees it, saved to look at, and asserted on: the pages in `allowed`
    show their heading (and money where they are about money); the others the refusal."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in URLS:
        if page.locator('[data-testid="stSidebar"]').get_by_role("link", name=LINKS[name]).count():
            follow_link(page, name)
        else:
            open_page(page, server, name)        # not in this role's navigation: by URL
        wait_drawn(page, name)
        screenshot(page, SCREENSHOTS / f"{role}-{name}.png")
        text = main_text(page)
        if name == "home":
            assert "Welcome," in text and "Where to go" in text, (role, name)
        elif name in allowed:
            heading = page.locator("h1").first.inner_text().strip()
            assert heading == TITLES[name], (role, name, heading)
            assert not page.locator('[data-testid="stAlertContentError"]').count(), (role, name)
            if name in WITH_AMOUNTS:
                assert AMOUNT.search(text), (role, name, text[:300])
            if name in WITH_TABLES:
                assert page.locator('[data-testid="stDataFrame"]').count(), (role, name)
        else:
            assert page.locator('[data-testid="stAlertContentError"]').count(), (role, name)
            assert not AMOUNT.search(text), (role, name)


def test_screenshots_signed_out(server, anonymous):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    open_page(anonymous, server, "home")
    wait_sign_in_form(anonymous)
    wait_idle(anonymous)
    screenshot(anonymous, SCREENSHOTS / "signed-out.png")
    assert "Sign in" in main_text(anonymous) and not AMOUNT.search(main_text(anonymous))


def test_screenshots_admin(server, ctx):
    page = ctx.new_page()
    sign_in(page, server, "dist-admin")
    _screenshots(page, server, "admin", allowed=set(TITLES))


def test_screenshots_customer(server, customer):
    _screenshots(customer, server, "customer", allowed={"costs", "invoices"})
