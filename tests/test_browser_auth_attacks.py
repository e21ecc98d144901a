"""Security issue #9 in a real browser: cookies an attacker can send (items 2, 6) and the
Secure cookie and framing headers of a deployment behind a TLS proxy (item 11).

Reuses tests/test_browser.py's server (a Streamlit server on a copy of the small demo store),
its headless Chromium and helpers. No fixed sleeps: every wait is on a selector.
"""
from __future__ import annotations

import base64
import json
import re
import time

import jwt
import pytest

from tests.browser_support import COOKIE_KEY
from tests.test_browser import (  # noqa: F401
    COOKIE,
    _screenshot_on_failure,
    chrome,
    main_text,
    new_context,
    open_page,
    server,
    sign_in,
    sign_out,
    wait_cookie,
    wait_drawn,
    wait_idle,
)

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

WELCOME = re.compile("^Welcome, ")


def b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def settled(page) -> None:
    """The first page a cookie leads to is drawn: the sign-in form, a welcome, or an error."""
    form = page.get_by_role("button", name="Sign in")
    welcome = page.get_by_role("heading", name=WELCOME)
    broken = page.locator('[data-testid="stException"]')
    form.or_(welcome).or_(broken).first.wait_for()
    wait_idle(page)


def assert_signed_out(page) -> None:
    """The sign-in form and nothing else: no welcome, no error, no exception text."""
    settled(page)
    assert page.get_by_role("heading", name=WELCOME).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("button", name="Sign in").count() == 1
    text = main_text(page)
    for leak in ("Traceback", "Error", "error", "jwt", "InvalidAlgorithm", "Exception"):
        assert leak not in text, leak
    assert page.locator('[data-testid="stSidebar"]').get_by_role(
        "button", name="Sign out").count() == 0


def open_with_cookie(chrome, server: str, cookie: dict, value: str):
    """A fresh browser (nothing shared with the victim's) told to hold `value` as the cookie.
    Chromium refuses to store some values through Playwright (surrounding spaces: "Invalid
    cookie fields"); those are set the way a page would, with document.cookie, and the browser
    keeps what it keeps (it trims the spaces). A client that is not a browser can send the
    spaces raw: tests/test_security_auth.py covers that at the guard."""
    ctx = new_context(chrome)
    page = ctx.new_page()
    try:
        ctx.add_cookies([{**cookie, "value": value}])
    except playwright_sync.Error:
        page.goto(server + "/_stcore/health")
        page.evaluate("v => { document.cookie = v; }",
                      f"{COOKIE}={value}; path=/; SameSite=Strict")
        # The page's cookie jar reaches the browser's store a moment later (an IPC hop that a
        # loaded machine stretches): wait for it there, where the next request reads it.
        deadline = time.monotonic() + 10
        while not [c for c in ctx.cookies() if c["name"] == COOKIE] and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert [c for c in ctx.cookies() if c["name"] == COOKIE], "the browser kept no cookie"
    open_page(page, server, "home")
    return ctx, page


# --- item 2: a signed-out cookie, re-spelled --------------------------------------------------

@pytest.fixture(scope="module")
def signed_out_cookie(server, chrome) -> dict:
    """contoso-user's session cookie, taken while signed in, after signing out."""
    ctx = new_context(chrome)
    page = ctx.new_page()
    sign_in(page, server, "contoso-user")
    wait_cookie(page, True)
    saved = [c for c in ctx.cookies() if c["name"] == COOKIE]
    assert saved, "the sign-in cookie was not set"
    sign_out(page)
    wait_cookie(page, False)
    ctx.close()
    return saved[0]


def variants(t: str) -> dict[str, str]:
    h, p, s = t.split(".")
    return {
        "T": t,
        "T=": t + "=",
        "T==": t + "==",
        "re-padded payload": f"{h}.{p}{'=' * (-len(p) % 4) or '='}.{s}",
        "surrounding spaces": f" {t} ",
        "surrounding quotes": f'"{t}"',
        "quoted T=": f'"{t}="',
    }


@pytest.mark.parametrize("name", list(variants("h.p.s")))
def test_signed_out_cookie_respelled_opens_nothing(server, chrome, signed_out_cookie, name):
    value = variants(signed_out_cookie["value"])[name]
    ctx, page = open_with_cookie(chrome, server, signed_out_cookie, value)
    try:
        assert_signed_out(page)
        assert "Camille Laurent" not in main_text(page)
    finally:
        ctx.close()


def test_a_live_cookie_still_opens_the_portal(server, chrome):
    """Control: valid tokens behave as before — a copy of a live cookie resumes the session."""
    ctx = new_context(chrome)
    page = ctx.new_page()
    sign_in(page, server, "fabrikam-user")
    wait_cookie(page, True)
    saved = [c for c in ctx.cookies() if c["name"] == COOKIE][0]
    try:
        # As the browser stored it, and set with spaces around it (what the spaces variant of
        # the signed-out test does): both resume while the session is live.
        for value in (saved["value"], f" {saved['value']} "):
            other, p2 = open_with_cookie(chrome, server, saved, value)
            wait_drawn(p2, "home")
            assert p2.get_by_role("heading", name="Welcome, Frank Miller").count() == 1
            other.close()
    finally:
        ctx.close()


# --- item 6: malformed and foreign tokens ------------------------------------------------------

def _alg_none(exp: float) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}))
    payload = b64(json.dumps({"username": "contoso-user", "exp_date": exp}))
    return f"{header}.{payload}."


def malformed() -> dict[str, str]:
    exp = time.time() + 3000   # live for the whole test run
    return {
        "alg none": _alg_none(exp),
        "alg none, no signature segment": _alg_none(exp)[:-1],
        "alg none, admin": _alg_none(exp).replace(
            b64(json.dumps({"username": "contoso-user", "exp_date": exp})),
            b64(json.dumps({"username": "dist-admin", "exp_date": exp}))),
        "other key": jwt.encode({"username": "contoso-user", "exp_date": exp},
                                "not-the-key-" + "x" * 52, algorithm="HS256"),
        "no username": jwt.encode({"exp_date": exp}, COOKIE_KEY, algorithm="HS256"),
        "exp as text": jwt.encode({"username": "contoso-user", "exp_date": str(exp)},
                                  COOKIE_KEY, algorithm="HS256"),
        "garbage": "garbage",
        "three dots": "a.b.c",
        "empty json": "e30.e30.",
        "not json": f"{b64('{')}.{b64('{')}.{b64(b'x' * 32)}",
        "long": "x" * 3000,
    }


@pytest.mark.parametrize("name", list(malformed()))
def test_a_malformed_cookie_shows_the_sign_in_form(server, chrome, name):
    cookie = {"name": COOKIE, "domain": "127.0.0.1", "path": "/", "sameSite": "Strict"}
    ctx, page = open_with_cookie(chrome, server, cookie, malformed()[name])
    try:
        assert_signed_out(page)
    finally:
        ctx.close()


# --- item 11: behind a TLS proxy ---------------------------------------------------------------

PROXY_HEADERS = {   # what docs/deploy.md tells the proxy to add to every response
    "content-security-policy": "frame-ancestors 'self'",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def test_over_plain_http_the_cookie_is_strict_and_not_secure(server, chrome):
    """Without HTTPS the cookie cannot be Secure (the browser would not keep it); it is
    SameSite=Strict. (Secure behind a TLS proxy: tests/test_security_auth.py, at the guard.)"""
    ctx = new_context(chrome)
    try:
        page = ctx.new_page()
        sign_in(page, server, "rheinwerk-user")
        wait_cookie(page, True)
        saved = [c for c in ctx.cookies() if c["name"] == COOKIE]
        assert saved and saved[0]["secure"] is False and saved[0]["sameSite"] == "Strict"
    finally:
        ctx.close()


def test_the_documented_headers_stop_another_site_framing_the_app(server, chrome):
    """A page of another origin frames Tierline; the app's document carries the headers the
    proxy adds (Playwright stands in for the proxy on that one response): Chromium refuses."""
    ctx = new_context(chrome)

    def proxy(route):
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length")}
        route.fulfill(response=response, headers={**headers, **PROXY_HEADERS})

    ctx.route(server + "/", proxy)
    evil = "http://evil.example.test/"
    ctx.route(evil, lambda route: route.fulfill(
        status=200, content_type="text/html",
        body=f'<html><body><iframe id="t" src="{server}/" width="800" height="600"></iframe>'))
    try:
        page = ctx.new_page()
        with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
            page.goto(evil, wait_until="load")   # the load event waits for the iframe too
        assert "blocked" in refused.value.text
        frames = [f for f in page.frames if f != page.main_frame]
        assert len(frames) == 1 and not frames[0].url.startswith(server), frames[0].url
    finally:
        ctx.close()
