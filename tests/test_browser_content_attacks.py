"""Security issue #9 in a real browser: what only Chromium shows.

- Item 5: provider data and configuration names holding `<a href=…>`, `<b>` and Markdown links
  are drawn as their characters on the Costs chart and everywhere else: no element links to
  evil.example, nothing is bold that the data asked to be.
- Item 9: a CSV fetched from a download button is not fetchable at its /media URL after the user
  signs out (without any cookie, as another browser would try).

Reuses the harness of tests/test_browser.py (Streamlit server on a free port, Debian's
Chromium, pages awaited on their selectors, never on time) on the hostile store that
tests/test_security_input.py builds.
"""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    follow_link,
    main_text,
    new_context,
    open_page,
    playwright_sync,
    sign_in,
    sign_out,
    streamlit_server,
    wait_drawn,
    wait_idle,
)
from tests.test_security_input import EVIL_PASSWORD, build_evil_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def evil_server(tmp_path_factory):
    db = build_evil_store(tmp_path_factory.mktemp("evil-browser"))
    with streamlit_server(db, "streamlit-server-content-attacks.log", poll_seconds="0") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = new_context(browser)
    yield ctx.new_page()
    ctx.close()


def _shown(page) -> str:
    """The page's text as a reader sees it (without the invisible word joiners that keep
    `https://` in a name from becoming a link)."""
    return main_text(page).replace("\u2060", "")


def _costs(page, server: str, username: str) -> None:
    sign_in(page, server, username, EVIL_PASSWORD)
    follow_link(page, "costs")
    wait_drawn(page, "costs")
    page.locator('[data-testid="stPlotlyChart"] .ytick text').first.wait_for()


def test_costs_chart_shows_link_markup_as_text(evil_server, page):
    _costs(page, evil_server, "evil-customer")
    # the breakdown by service (the page's first chart is the daily trend, by provider)
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Storage").first
    chart.locator(".ytick text").first.wait_for()
    ticks = chart.locator(".ytick text").all_text_contents()
    # The service name is drawn as its characters …
    assert any('<a href="https://evil.example/login">Verify your invoice</a>' in t for t in ticks), ticks
    assert any("<b>Bold</b> Storage" in t for t in ticks), ticks
    # … and nothing anywhere on the page links to the attacker or is bold because data said so.
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert chart.locator('a, tspan[style*="bold"]').count() == 0
    # The names in Markdown (sidebar, heading) show their characters too.
    text = _shown(page)
    assert '<a href="https://evil.example/login">Verify your invoice</a> Customer' in text
    assert "[Verify here](https://evil.example/md)" in text


def test_home_and_margins_link_nowhere(evil_server, page):
    sign_in(page, evil_server, "evil-msp", EVIL_PASSWORD)
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert "[Verify here](https://evil.example/md) **now** :red[alert]" in _shown(page)
    follow_link(page, "margins")
    wait_drawn(page, "margins")
    page.locator('[data-testid="stPlotlyChart"] .ytick text').first.wait_for()
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('[data-testid="stPlotlyChart"] a').count() == 0


def _status(url: str) -> int:
    """Fetch `url` with no cookie at all, as another browser would."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_downloaded_csv_is_gone_after_sign_out(evil_server, page):
    """The user has the Costs page open in a second tab (another session on the same cookie),
    downloads the breakdown in the first and signs out there. Before the fix, every page view
    stored each CSV under a content-hash id and the other tab kept it referenced, so the URL
    stayed fetchable without a cookie; now a CSV exists only once clicked, belongs to no
    session, and signing out deletes it."""
    _costs(page, evil_server, "evil-customer")
    other = page.context.new_page()
    open_page(other, evil_server, "costs")
    wait_drawn(other, "costs")
    # the breakdown's CSV (the first download on the page is the daily trend's)
    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text="Download CSV").first
    with page.expect_download() as caught:
        button.get_by_role("button").click()
    download = caught.value
    url = download.url
    assert "/media/" in url, url
    with open(download.path(), encoding="utf-8") as fh:
        assert "Verify your invoice" in fh.read()           # the real CSV came through
    wait_idle(page)
    sign_out(page)
    assert _status(url) == 404
