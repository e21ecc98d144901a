"""Security issue #9, sign-in items: re-spelled cookies (2), the timing of unknown usernames (3),
malformed tokens (6) and the Secure cookie behind HTTPS (11).

Unit tests on data/auth.py, and AppTest runs of the real guard with the browser's cookies and
headers stood in for by a fake `st.context` (the guard and streamlit-authenticator both read the
cookie from `st.context.cookies`). The same attacks in a real browser:
tests/test_browser_auth_attacks.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import warnings
from datetime import timedelta

import jwt
import pytest
import streamlit
import yaml
from streamlit.runtime.context import StreamlitCookies, StreamlitHeaders
from streamlit.testing.v1 import AppTest

from components.auth import AUTH_KEY, COOKIE_NAME, cookie_options
from data import auth
from data.store import ROOT, connect
from tests.browser_support import COOKIE_KEY, PASSWORD, restore_env, set_env, ui_env, ui_store

KEY = "k" * 64
POLICY = auth.Policy(session=timedelta(minutes=60))
NOW = 1_800_000_000.0
_COOKIE_OP = "_tierline_cookie_op"     # components.auth._COOKIE_OP_KEY: the pending cookie write


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(username: str = "contoso-user", exp: float = NOW + 1800, key: str = KEY,
          **claims) -> str:
    """A token as streamlit-authenticator 0.4.2 signs it (CookieModel._token_encode)."""
    return jwt.encode({"username": username, "exp_date": exp, **claims}, key, algorithm="HS256")


def alg_none(username: str = "contoso-user", exp: float | None = None) -> str:
    exp = NOW + 1800 if exp is None else exp
    return (f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}))}."
            f"{b64(json.dumps({'username': username, 'exp_date': exp}))}.")


def respellings(t: str) -> dict[str, str]:
    """Ways to write the same token that a lenient decoder reads as the same bytes."""
    h, p, s = t.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The 43rd character of a 32-byte signature carries 2 unused low bits: flip one.
    stray = alphabet[alphabet.index(s[-1]) ^ 1] if len(s) % 4 == 3 else None
    out = {
        "T=": t + "=", "T==": t + "==", "T===": t + "===",
        "padded payload": f"{h}.{p}{'=' * (-len(p) % 4) or '='}.{s}",
        "padded header": f"{h}{'=' * (-len(h) % 4) or '='}.{p}.{s}",
        "padded signature": f"{h}.{p}.{s}{'=' * (-len(s) % 4)}",
        "surrounding spaces": f" {t} ", "surrounding quotes": f'"{t}"',
        "quoted T=": f'"{t}="', "trailing newline": t + "\n", "tab": "\t" + t,
        "inner junk": f"{h}.{p}.{s[:8]}!!!!{s[8:]}",
    }
    if stray:
        out["stray signature bits"] = f"{h}.{p}.{s[:-1]}{stray}"
    return out


# --- item 2: one token, one spelling; revocation by the signature -----------------------------

def test_a_valid_token_is_read_as_the_library_wrote_it():
    t = token()
    got = auth.read_token(t, KEY, POLICY, now=NOW)
    assert got == auth.SessionToken("contoso-user", NOW + 1800, auth.token_digest(t))
    sig = base64.urlsafe_b64decode(t.split(".")[2] + "=")
    assert got.token_id == hashlib.sha256(sig).hexdigest()   # the signature's bytes


@pytest.mark.parametrize("name", list(respellings(token())))
def test_no_respelling_of_a_token_is_read(name):
    t = token()
    variant = respellings(t)[name]
    assert variant != t
    assert auth.read_token(variant, KEY, POLICY, now=NOW) is None


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "auth.duckdb")
    yield c
    c.close()


def test_revoking_a_token_revokes_every_spelling_of_it(con):
    t = token()
    auth.revoke_token(con, t, auth.from_epoch(NOW + 1800))
    for name, variant in respellings(t).items():
        assert auth.is_revoked(con, variant), name
        assert auth.token_digest(variant) == auth.token_digest(t), name
    assert not auth.is_revoked(con, token(exp=NOW + 1799))     # another token of the same user
    stored = con.execute("select token_sha256 from auth_revoked_tokens").fetchall()
    assert stored == [(auth.read_token(t, KEY, POLICY, now=NOW).token_id,)]


def test_a_token_signed_out_before_the_upgrade_stays_refused(con):
    # Until this change the store kept the sha256 of the token's text.
    t = token()
    con.execute("insert into auth_revoked_tokens values (?, ?, ?)",
                [hashlib.sha256(t.encode()).hexdigest(), auth.from_epoch(NOW + 1800),
                 auth.from_epoch(NOW)])
    assert auth.is_revoked(con, t)


# --- item 6: whatever the cookie holds, reading it never raises ------------------------------

def _header_token(header: dict, payload: dict, key: str = KEY) -> str:
    import hmac
    signing_input = f"{b64(json.dumps(header))}.{b64(json.dumps(payload))}"
    sig = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def _hs512(payload: dict, key: str) -> str:
    with warnings.catch_warnings():   # PyJWT warns about keys under 64 bytes for SHA-512
        warnings.simplefilter("ignore")
        return jwt.encode(payload, key, algorithm="HS512")


FOREIGN = {
    "alg none": alg_none(),
    "alg none, no dot": alg_none().rstrip("."),
    "alg none, with a signature": alg_none() + b64(b"x" * 32),
    "HS512": jwt.encode({"username": "contoso-user", "exp_date": NOW + 1800}, KEY,
                        algorithm="HS512"),     # the right key, another algorithm
    "other key": token(key="another-key-" + "x" * 40),
    "expired": token(exp=NOW - 1),
    "lives too long": token(exp=NOW + 24 * 3600),
    "exp as text": token(exp="1800001800"),
    "exp true": token(exp=True),
    "exp infinite": _header_token({"alg": "HS256", "typ": "JWT"},
                                  {"username": "contoso-user", "exp_date": float("inf")}),
    "no username": jwt.encode({"exp_date": NOW + 1800}, KEY, algorithm="HS256"),
    "username a list": token(username=["contoso-user"]),
    "username in capitals": token(username="Contoso-User"),
    "extra claim": token(role="admin"),
    "payload a list": _header_token({"alg": "HS256", "typ": "JWT"}, ["contoso-user"]),
    "header with kid": jwt.encode({"username": "contoso-user", "exp_date": NOW + 1800}, KEY,
                                  algorithm="HS256", headers={"kid": "../../etc/passwd"}),
    "header crit": _header_token({"alg": "HS256", "typ": "JWT", "crit": ["exp"]},
                                 {"username": "contoso-user", "exp_date": NOW + 1800}),
    "empty": "", "garbage": "garbage", "dots": "...", "a.b.c": "a.b.c", "e30.e30.": "e30.e30.",
    "four parts": token() + ".x", "not json": f"{b64('{')}.{b64('{')}.{b64(b'x' * 32)}",
    "not utf-8": f"{b64(bytes([0xff, 0xfe]))}.{b64(bytes([0xff]))}.{b64(b'x' * 32)}",
    "non-ascii": "é.é.é", "huge": "a" * 5000 + "." + "b" * 5000 + ".c",
    "null bytes": "\x00.\x00.\x00",
}


@pytest.mark.parametrize("name", list(FOREIGN))
def test_foreign_and_broken_tokens_are_not_signed_in(name):
    assert auth.read_token(FOREIGN[name], KEY, POLICY, now=NOW) is None


def test_read_token_takes_no_cookie_at_all():
    assert auth.read_token(None, KEY, POLICY) is None
    assert auth.read_token(12345, KEY, POLICY) is None   # type: ignore[arg-type]


# --- item 3: one bcrypt cost ----------------------------------------------------------------------

def demo_hashes() -> dict[str, str]:
    doc = yaml.safe_load((ROOT / "data" / "demo" / "config.yaml").read_text(encoding="utf-8"))
    return {u["username"]: u["password_hash"] for u in doc["users"]}


def test_the_dummy_hash_costs_what_a_users_hash_costs():
    assert auth.bcrypt_cost(auth._DUMMY_HASH) == auth.BCRYPT_COST
    costs = {name: auth.bcrypt_cost(h) for name, h in demo_hashes().items()}
    assert costs and set(costs.values()) == {auth.BCRYPT_COST}, costs


def test_new_hashes_are_made_at_the_configured_cost():
    h = auth.hash_password("tierline-demo")
    assert auth.bcrypt_cost(h) == auth.BCRYPT_COST
    import bcrypt
    assert bcrypt.checkpw(b"tierline-demo", h.encode())
    with pytest.raises(ValueError, match="72 bytes"):
        auth.hash_password("x" * 73)


def test_bcrypt_cost_reads_the_hash():
    assert auth.bcrypt_cost("$2b$12$" + "a" * 53) == 12
    assert auth.bcrypt_cost("plain") is None and auth.bcrypt_cost(None) is None


def test_a_password_longer_than_bcrypt_takes_is_burned_not_raised():
    auth.burn_password_check("é" * 100)   # 200 bytes: bcrypt 5 would raise ValueError


# --- item 11: Secure when served over HTTPS ----------------------------------------------------

@pytest.mark.parametrize("headers, url, expected", [
    ({}, None, False),
    ({}, "http://127.0.0.1:8501/", False),
    ({}, "https://tierline.example.com/Costs", True),
    ({}, "HTTPS://tierline.example.com/", True),
    ({"X-Forwarded-Proto": "https"}, None, True),
    ({"x-forwarded-proto": "HTTPS"}, "http://127.0.0.1:8501/", True),  # proxy terminates TLS
    ({"X-Forwarded-Proto": "https, http"}, None, True),      # the first hop is the browser's
    ({"X-Forwarded-Proto": "http, https"}, None, False),
    ({"X-Forwarded-Proto": "http"}, None, False),
    ({"Forwarded": 'for=1.2.3.4;proto=https;host="x"'}, None, True),
    ({"Forwarded": 'for=1.2.3.4;proto="https"'}, None, True),
    ({"Forwarded": "for=1.2.3.4;proto=http, for=5.6.7.8;proto=https"}, None, False),
    ({"X-Forwarded-Host": "https"}, None, False),
    (None, None, False),
])
def test_served_over_https(headers, url, expected):
    assert auth.served_over_https(headers, url) is expected


def test_served_over_https_reads_streamlits_headers():
    headers = StreamlitHeaders([("x-forwarded-proto", "https"), ("host", "t.example.com")])
    assert auth.served_over_https(headers, None) is True


def test_cookie_options():
    plain = cookie_options(NOW, secure=False)
    assert plain == {"path": "/", "sameSite": "strict", "expires": "2027-01-15T08:00:00.000Z"}
    assert cookie_options(NOW, secure=True) == {**plain, "secure": True}


def test_the_app_listens_on_localhost_only_by_default():
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True


def test_the_deployment_guide_sets_the_headers_streamlit_cannot():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for needed in ("X-Frame-Options", "frame-ancestors 'self'", "Strict-Transport-Security",
                   "X-Forwarded-Proto", "Secure", "proxy_cookie_flags", "reverse_proxy"):
        assert needed in guide, needed
    # 'none' would also forbid the app's own component iframes: the cookie could not be written
    assert "\"frame-ancestors 'none'\"" not in guide


# --- the real guard, with the browser's cookies and headers stood in for ----------------------

class FakeContext:
    """What st.context tells a script about its browser: cookies, headers, URL."""

    def __init__(self, cookies: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, url: str | None = None):
        self.cookies = StreamlitCookies(cookies or {})
        self.headers = StreamlitHeaders(list((headers or {}).items()))
        self.url = url


@pytest.fixture(scope="module")
def store():
    s = ui_store()
    old = set_env(ui_env(s.apptest_db))
    yield s
    restore_env(old)


def browser(monkeypatch, cookie: str | None = None, **context) -> None:
    cookies = {COOKIE_NAME: cookie} if cookie is not None else {}
    monkeypatch.setattr(streamlit, "context", FakeContext(cookies, **context))


def open_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def shows_sign_in(at: AppTest) -> bool:
    labels = [t.label for t in at.text_input]
    return "Username" in labels and "Password" in labels


def welcome(at: AppTest) -> list[str]:
    return [t.value for t in at.title if t.value.startswith("Welcome")]


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    return at.button(key="FormSubmitter:signin_form-Sign in").click().run()


def signed_in_token(at: AppTest) -> str:
    op = at.session_state[_COOKIE_OP]
    assert op["method"] == "set"
    return op["value"]


def test_cookie_respelled_after_sign_out_signs_nobody_in(store, monkeypatch):
    browser(monkeypatch)
    at = sign_in(open_app(), "contoso-user")
    assert welcome(at) == ["Welcome, Camille Laurent"]
    t = signed_in_token(at)

    browser(monkeypatch, t)                      # control: the cookie resumes the session
    resumed = open_app()
    assert welcome(resumed) == ["Welcome, Camille Laurent"] and not resumed.exception
    record = resumed.session_state[AUTH_KEY]
    assert record["method"] == "cookie" and record["username"] == "contoso-user"
    assert record["token_sha256"] == auth.token_digest(t)

    at.sidebar.button(key="nav_sign_out").click().run()
    assert shows_sign_in(at)

    for name, variant in {"T": t, **respellings(t)}.items():
        browser(monkeypatch, variant)
        replay = open_app()
        assert not replay.exception, name
        assert shows_sign_in(replay), name
        assert welcome(replay) == [], name
        assert AUTH_KEY not in replay.session_state, name


@pytest.mark.parametrize("name", ["alg none", "alg none, no dot", "HS512", "other key",
                                  "no username", "exp as text", "payload a list", "garbage",
                                  "a.b.c", "not json", "extra claim", "lives too long"])
def test_a_malformed_cookie_shows_the_sign_in_form(store, monkeypatch, name):
    # Real expiry: the guard checks these against the clock.
    now = time.time()
    cookies = {
        "alg none": alg_none(exp=now + 600), "alg none, no dot": alg_none(exp=now + 600)[:-1],
        "HS512": _hs512({"username": "contoso-user", "exp_date": now + 600}, COOKIE_KEY),
        "other key": token(exp=now + 600, key="another-key-" + "x" * 40),
        "no username": jwt.encode({"exp_date": now + 600}, COOKIE_KEY, algorithm="HS256"),
        "exp as text": token(exp=str(now + 600), key=COOKIE_KEY),
        "payload a list": _header_token({"alg": "HS256", "typ": "JWT"}, ["contoso-user"],
                                        key=COOKIE_KEY),
        "extra claim": token(exp=now + 600, key=COOKIE_KEY, role="admin"),
        "lives too long": token(exp=now + 30 * 86400, key=COOKIE_KEY),
    }
    browser(monkeypatch, cookies.get(name, FOREIGN.get(name)))
    at = open_app()
    assert not at.exception
    assert shows_sign_in(at) and welcome(at) == []
    assert [e.value for e in at.error] == []          # silently: no sentence, no traceback


def test_the_cookie_is_secure_when_the_proxy_says_https(store, monkeypatch):
    browser(monkeypatch, headers={"X-Forwarded-Proto": "https"})
    at = sign_in(open_app(), "fabrikam-user")
    assert welcome(at) == ["Welcome, Frank Miller"]
    assert at.session_state[_COOKIE_OP]["options"]["secure"] is True

    browser(monkeypatch, url="https://tierline.example.com/")
    at = sign_in(open_app(), "fabrikam-user")
    assert at.session_state[_COOKIE_OP]["options"]["secure"] is True


def test_the_cookie_is_not_secure_over_plain_http(store, monkeypatch):
    browser(monkeypatch, url="http://127.0.0.1:8501/")
    at = sign_in(open_app(), "fabrikam-user")
    options = at.session_state[_COOKIE_OP]["options"]
    assert "secure" not in options and options["sameSite"] == "strict"


@pytest.mark.parametrize("username", ["rheinwerk-user", "no-such-user-at-all"])
def test_an_overlong_password_is_a_wrong_password(store, monkeypatch, username):
    browser(monkeypatch)
    at = sign_in(open_app(), username, "é" * 40)   # 80 bytes: bcrypt 5 raises beyond 72
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The username or password is not right. Check both and try again."]
    assert shows_sign_in(at)
