"""The sign-in guard every page calls first: `user = require(roles=(...))`.

streamlit-authenticator 0.4.2 checks passwords (bcrypt hashes from cfg_users), signs the session
cookie (a JWT) and reads it back on a new browser session. Around it:

- The guard trusts ONE session-state key, `AUTH_KEY`, and only this module writes it: after a
  password check, or after a cookie that `data.auth.read_token` and the library accepted and
  the store has not revoked.
  Session state lives on the server; no widget uses that key, so a browser cannot set it.
  (AppTest sets it directly to simulate a signed-in user: see `session_record`.)
- Lockout (data/auth.py) is checked before the library sees the password; failures, lockouts,
  sign-ins and sign-outs go to the audit log through data.audit.record_audit.
- A cookie is first read by `data.auth.read_token`: only a token in the exact form Tierline
  signs, with a good signature and a live expiry, goes on; anything else (garbage, `alg: none`,
  `T=`, quotes) is "not signed in", silently, and never reaches the library's lenient decoder.
- Signing out revokes the token's id (its signature bytes) in the store; `_RevocationCheck`
  wraps the library's cookie controller so a revoked token is refused before the library
  trusts it.
- The cookie is written by JavaScript (the library's cookie component), so it cannot be
  HttpOnly; it is SameSite=Strict, and Secure whenever the browser reached the app over HTTPS
  (`data.auth.served_over_https`; docs/deploy.md).
- Sessions end when the token does (TIERLINE_SESSION_MINUTES, default 60), also in an open tab.
- A deactivated user (`active: false`) is not in the credentials and their open session ends
  at its next run; a user with a temporary password (`must_change_password`, from an invite or
  a reset on the Users page) gets only the "choose a new password" form, on every page, until
  they have chosen one (`change_password_form`; docs/auth.md).

The library quirks designed around (docs/auth.md): it mutates the credentials dict (each run
builds a fresh one); its `Authenticate.login` sleeps 0.7 s per signed-out run and keeps its form
on screen in the run that signs in, so the form here is our own and the library's two
controllers are used directly; and its cookie component writes the cookie only if the browser
mounts it before the next rerun removes it, so writing and deleting the cookie are kept pending
in session state and re-rendered until the component reports them done.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import duckdb
import streamlit as st

from components import authlib, nav, pickers, tables
from components.authlib import AuthenticationController, LoginError
from components.store import cursor, start_inbox_poller
from components.text import md_escape
from data import auth
from data.store import StoreBusy

log = logging.getLogger("tierline.auth")

AUTH_KEY = "_tierline_auth"            # the only key the guard trusts; written only here
COOKIE_NAME = "tierline_session"
_SIGN_OUT_KEY = "_tierline_sign_out"   # set by the sign-out button's callback
_NOTICE_KEY = "_tierline_notice"       # a sentence to show above the sign-in form
_FAILURE_KEY = "_tierline_failure"     # why the last sign-in attempt failed
_REPLAY_KEY = "_tierline_replay_seen"  # a revoked cookie was already audited in this session
_COOKIE_OP_KEY = "_tierline_cookie_op"  # a cookie write/delete the browser has not confirmed
_COOKIE_SLOT = "tierline_cookies"      # the container the invisible cookie components live in
_LIBRARY_KEYS = ("name", "username", "authentication_status", "email", "roles")
_PAGE_PREFIXES = {"home", "costs", "invoices", "margins", "recon", "deliveries", "audit", "plans",
                  "users", "why", "budgets", "qbr", "commit", "whatif", "org", "map", "fx", "ops"}


@dataclass(frozen=True)
class User:
    """The signed-in user as the pages see it (re-read from the store on every run)."""

    username: str
    name: str
    email: str
    org: str
    org_name: str
    org_kind: str | None
    is_root: bool
    roles: tuple[str, ...]
    expires_at: float
    must_change_password: bool = False     # a temporary password: only the change form opens

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))


def session_record(username: str, expires_at: float, token_sha256: str | None = None,
                   method: str = "password") -> dict:
    """What `AUTH_KEY` holds for a signed-in session (plain data, server-side only)."""
    return {"username": username, "expires_at": float(expires_at),
            "token_sha256": token_sha256, "method": method}


def require(roles: Iterable[str] | None = None, *, title: str = "Tierline",
            root_only: bool = False) -> User:
    """Guard the page: sign-in form and stop unless signed in with one of `roles`.

    Draws the role's navigation and returns the user. `roles=None` lets in every signed-in
    user; `root_only` only users of the organisation at the top of the tree."""
    st.set_page_config(page_title=f"{title} · Tierline", page_icon=":material/cloud:",
                       layout="wide")
    allowed = tuple(roles) if roles is not None else None
    slot = st.container(key=_COOKIE_SLOT)   # first element of every page: stable positions
    try:
        policy = auth.Policy.from_env()
        key = auth.cookie_key()
        with cursor() as con:
            start_inbox_poller()
            user = _Guard(con, policy, key, slot).user()
    except (StoreBusy, auth.CookieKeyMissing, ValueError) as exc:
        st.error(str(exc))
        st.stop()
    except duckdb.Error:
        log.exception("sign-in check failed")
        st.error("The store could not be read just now. Try again in a moment.")
        st.stop()
    if user is None:
        st.stop()
    nav.render(user, on_sign_out=_request_sign_out)
    spec = nav.PageSpec("", title, "", "", allowed, root_only)
    if not spec.opens_for(user.roles, user.is_root):
        st.error(_refusal(user, allowed, root_only))
        st.stop()
    return user


def _refusal(user: User, allowed: tuple[str, ...] | None, root_only: bool) -> str:
    you = (f"You are signed in as {md_escape(user.name)} ({nav.role_names(user.roles)}, "
           f"{md_escape(user.org_name)})")
    if allowed is not None and not user.has_role(*allowed):
        return f"This page is for {nav.role_plurals(allowed)} only. {you}."
    return f"This page is only for the team of the organisation that runs Tierline. {you}."


def _request_sign_out() -> None:
    st.session_state[_SIGN_OUT_KEY] = True


# --- one run of the guard -----------------------------------------------------------------------

class _Guard:
    """One run's sign-in logic, on the library's two controllers, each built only when needed:
    the authentication controller (password check, session flags) costs a credentials read;
    the cookie controller renders a cookie component whose first value makes the browser rerun
    the page, so it is built only to resume from a cookie or to write or delete one — a plain
    page view, signed in or not, and a failed password do without it."""

    def __init__(self, con, policy: auth.Policy, key: str, slot):
        self.con = con
        self.policy = policy
        self.key = key
        self.slot = slot
        self._authentication: AuthenticationController | None = None
        self._cookies: _RevocationCheck | None = None

    @property
    def authentication(self) -> AuthenticationController:
        if self._authentication is None:   # fresh credentials: the library mutates them
            self._authentication = authlib.authentication(auth.credentials(self.con), self.key)
        return self._authentication

    @property
    def cookies(self) -> "_RevocationCheck":
        if self._cookies is None:
            _ = self.authentication   # the library's session-state defaults ('logout') come with it
            with self.slot:
                st.html(f"<style>.st-key-{_COOKIE_SLOT}{{position:absolute;width:0;height:0;"
                        f"overflow:hidden}}</style>")
                inner = authlib.cookies(COOKIE_NAME, self.key, self.policy.cookie_expiry_days)
            self._cookies = _RevocationCheck(inner, self.con, self.policy)
        return self._cookies

    def user(self) -> User | None:
        """The user of this session, or None after drawing the sign-in form."""
        if st.session_state.pop(_SIGN_OUT_KEY, False):
            self.sign_out()
        record, ended = _valid_record(self.con)
        if ended:
            self.end_session(ended)
        if record is None:
            record = self.resume_from_cookie()
        user = _load_user(self.con, record) if record is not None else None
        if record is not None and user is None:
            self.end_session("Your account is no longer active. Ask an administrator.")
        if user is None:
            user = self.sign_in_form()
        if user is not None and user.must_change_password:
            user = self.change_password_form(user)
        self.flush_cookie_op()
        return user

    # cookies ------------------------------------------------------------------------------------

    def flush_cookie_op(self) -> None:
        """Render the pending cookie write/delete until the browser reports it done."""
        op = st.session_state.get(_COOKIE_OP_KEY)
        if not op:
            return
        manager = self.cookies.manager
        with self.slot:
            done = manager.cookie_manager(method=op["method"], cookie=COOKIE_NAME,
                                          value=op.get("value"), options=op.get("options"),
                                          key=op["key"], default=False)
        if done:
            st.session_state.pop(_COOKIE_OP_KEY, None)

    def write_cookie(self, username: str) -> tuple[str, float]:
        """Queue the signed session cookie for `username`; returns (token, expiry epoch)."""
        token, expires = self.cookies.new_token(username)
        st.session_state[_COOKIE_OP_KEY] = {
            "method": "set", "value": token, "key": f"tierline_cookie_{secrets.token_hex(4)}",
            "options": cookie_options(expires, _served_over_https()),
        }
        return token, expires

    def delete_cookie(self) -> None:
        st.session_state[_COOKIE_OP_KEY] = {"method": "delete",
                                            "key": f"tierline_cookie_{secrets.token_hex(4)}"}

    # signing in ---------------------------------------------------------------------------------

    def resume_from_cookie(self) -> dict | None:
        """A new browser session with a valid, unrevoked cookie signs in without the form.
        Any other cookie (garbage, foreign, re-spelled, expired) is silently no sign-in; it is
        read before the cookie controller is built, so it costs no component and no rerun."""
        raw = _cookie_token()
        token = auth.read_token(raw, self.key, self.policy) if raw is not None else None
        if token is None:
            return None
        payload = self.cookies.get_cookie(token)   # None if revoked
        if not payload:
            return None
        try:
            self.authentication.login(token=payload)
        except LoginError:                      # a cookie for a user that no longer exists
            return None
        if not st.session_state.get("authentication_status"):
            return None
        record = session_record(token.username, token.expires_at, token.token_id,
                                method="cookie")
        st.session_state[AUTH_KEY] = record
        return record

    def sign_in_form(self) -> User | None:
        """Draw the sign-in form; on a good password, sign in within this run and clear it.
        Its message (signed out, wrong password, locked) stays until the next attempt: a rerun
        the browser asks for in between must not wipe it."""
        slot = st.empty()
        with slot.container():
            _, middle, _ = st.columns([1, 1.3, 1])
        with middle:
            st.title("Tierline")
            st.caption("Cloud billing and costs for distributors, resellers and their customers.")
            notice = st.empty()
            with st.form("signin_form", clear_on_submit=True, enter_to_submit=True):
                st.subheader("Sign in")
                username = st.text_input("Username", key="signin_username",
                                         autocomplete="username")
                password = st.text_input("Password", type="password", key="signin_password",
                                         autocomplete="current-password")
                submitted = st.form_submit_button("Sign in", type="primary")
            failure = st.empty()
        if submitted:
            st.session_state.pop(_NOTICE_KEY, None)
            st.session_state.pop(_FAILURE_KEY, None)
            signed_in, refusal = self.check_password(username, password)
            if signed_in is not None:
                slot.empty()
                token, expires = self.write_cookie(signed_in)
                record = session_record(signed_in, expires, auth.token_digest(token))
                st.session_state[AUTH_KEY] = record
                return _load_user(self.con, record)
            st.session_state[_FAILURE_KEY] = refusal
        if st.session_state.get(_NOTICE_KEY):
            notice.info(st.session_state[_NOTICE_KEY])
        if st.session_state.get(_FAILURE_KEY):
            failure.error(st.session_state[_FAILURE_KEY])
        return None

    def change_password_form(self, user: User) -> User | None:
        """A user signed in with a temporary password (an invite, a reset) chooses their own
        before anything else opens: this form and a sign-out button, no navigation, no page.
        The temporary password is asked again, so a session that outlived a reset cannot choose
        the next password. Returns the user once the new password is stored."""
        from data.config.errors import ConfigError
        from data.console.users import MIN_PASSWORD_CHARS, change_own_password

        slot = st.empty()
        with slot.container():
            _, middle, _ = st.columns([1, 1.3, 1])
        with middle:
            st.title("Tierline")
            st.info(f"Welcome, {md_escape(user.name)}. You signed in with a temporary password: "
                    f"choose your own to continue (at least {MIN_PASSWORD_CHARS} characters).")
            with st.form("password_form", clear_on_submit=True, enter_to_submit=True):
                st.subheader("Choose a new password")
                current = st.text_input("Temporary password", type="password",
                                        key="signin_current_password",
                                        autocomplete="current-password")
                new = st.text_input("New password", type="password", key="signin_new_password",
                                    autocomplete="new-password")
                again = st.text_input("New password again", type="password",
                                      key="signin_new_password_again", autocomplete="new-password")
                submitted = st.form_submit_button("Save new password", type="primary")
            failure = st.empty()
            st.button("Sign out", key="signin_change_sign_out", on_click=_request_sign_out)
        if not submitted:
            return None
        try:
            change_own_password(self.con, user.username, current, new, again)
        except ConfigError as exc:
            failure.error(md_escape(exc.issues[0].message))
            return None
        slot.empty()
        record = st.session_state.get(AUTH_KEY)
        changed = _load_user(self.con, record) if isinstance(record, dict) else None
        return changed if changed is not None and not changed.must_change_password else None

    def check_password(self, username: str, password: str) -> tuple[str | None, str | None]:
        """(username, None) on success, else (None, the sentence to show).
        Lockout first, then the library's password check."""
        con, policy = self.con, self.policy
        name = auth.normalise_username(username)
        if not name or not password:
            return None, "Enter your username and password."
        until = auth.locked_until(con, name)
        if until is not None:
            _audit(con, name, "login_failed",
                   detail=f"refused: locked until {until:%Y-%m-%d %H:%M} UTC")
            return None, _locked_sentence(until)
        controller = self.authentication
        if name not in authlib.known_usernames(controller) \
                or len(password.strip().encode()) > auth.BCRYPT_MAX_PASSWORD_BYTES:
            # Same time as a wrong password. bcrypt 5 raises on passwords over 72 bytes, and
            # no hash can match one: it is a wrong password, not an error page.
            auth.burn_password_check(password)
            ok = False
        else:
            try:
                ok = bool(controller.login(name, password))
            except LoginError:
                ok = False
        if ok:
            auth.clear_failures(con, name)
            _audit(con, name, "login_ok", detail="password")
            return name, None
        for k in _LIBRARY_KEYS:  # the library leaves authentication_status=False behind
            st.session_state[k] = None
        until = auth.record_failure(con, name, policy)
        _audit(con, name, "login_failed", detail="wrong username or password")
        if until is not None:
            _audit(con, name, "locked", detail=f"{policy.max_failures} failed sign-ins; "
                                              f"locked until {until:%Y-%m-%d %H:%M} UTC")
            return None, _locked_sentence(until)
        return None, "The username or password is not right. Check both and try again."

    # signing out --------------------------------------------------------------------------------

    def sign_out(self) -> None:
        """Revoke the session's token(s) in the store, audit, end the session."""
        record = st.session_state.get(AUTH_KEY)
        if isinstance(record, dict) and record.get("username"):
            expires = auth.from_epoch(float(record.get("expires_at") or time.time()))
            digests = {record.get("token_sha256")}
            raw = _cookie_token()
            if raw:  # the cookie this browser session arrived with, if any
                digests.add(auth.token_digest(raw))
            for digest in digests - {None}:
                auth.revoke_digest(self.con, digest, expires)
            auth.purge(self.con, self.policy)
            _audit(self.con, record["username"], "logout")
        self.end_session("You have signed out.")

    def end_session(self, notice: str) -> None:
        """Forget the session (ours, the library's, the pages' state) and delete the cookie."""
        st.session_state.pop(AUTH_KEY, None)
        self.authentication.logout()   # the library's session keys and its 'logout' flag
        self.delete_cookie()
        for k in list(st.session_state.keys()):
            if isinstance(k, str) and k.split("_", 1)[0] in _PAGE_PREFIXES:
                del st.session_state[k]
        pickers.forget()
        tables.forget_downloads()      # an ended session's clicked CSVs go now, not in a minute
        st.session_state[_NOTICE_KEY] = notice


class _RevocationCheck:
    """Wraps the library's CookieController: a token revoked in the store (signed out) is never
    handed to the library's login. The token was read (`data.auth.read_token`: canonical, ours,
    live, bounded lifetime) before this is asked."""

    def __init__(self, inner, con, policy: auth.Policy):
        self._inner = inner
        self._con = con
        self._policy = policy

    @property
    def manager(self):
        """The library's cookie component (extra_streamlit_components.CookieManager)."""
        return authlib.cookie_manager(self._inner)

    def get_cookie(self, token: auth.SessionToken) -> dict | None:
        """The library's payload for the cookie `token` was read from, unless it is revoked."""
        raw = _cookie_token()
        if not raw or st.session_state.get("logout"):
            return None
        if auth.is_revoked(self._con, raw):
            self._report_replay(token)
            return None
        try:   # the library decodes the same cookie again; it must not be able to crash us
            payload = self._inner.get_cookie()
        except Exception:
            log.exception("the library refused a session cookie that read_token accepted")
            return None
        if not isinstance(payload, dict) or payload.get("username") != token.username:
            return None
        return payload

    def new_token(self, username: str) -> tuple[str, float]:
        """A token signed by the library for `username`, and its expiry (epoch seconds)."""
        return authlib.sign_token(self._inner, username)

    def _report_replay(self, token: auth.SessionToken) -> None:
        """A signed-out token came back: audit it once per browser session (its signature
        was checked, so the username is one Tierline signed)."""
        if st.session_state.get(_REPLAY_KEY):
            return
        st.session_state[_REPLAY_KEY] = True
        _audit(self._con, token.username, "login_failed",
               detail="refused a session cookie that was signed out")

    def __getattr__(self, name):            # anything else the library asks of its controller
        return getattr(self._inner, name)


def cookie_options(expires: float, secure: bool) -> dict:
    """The session cookie's attributes, for the library's cookie component (universal-cookie).
    `expires` is sent as UTC (the library sends server-local time)."""
    options = {"path": "/", "sameSite": "strict",
               "expires": f"{auth.from_epoch(expires):%Y-%m-%dT%H:%M:%S}.000Z"}
    if secure:
        options["secure"] = True
    return options


def _served_over_https() -> bool:
    """Whether this browser session reached the app over HTTPS (URL or proxy headers)."""
    try:
        headers, url = st.context.headers, st.context.url
    except Exception:  # no browser behind this session (bare mode)
        return False
    return auth.served_over_https(headers, url)


def _cookie_token() -> str | None:
    """The session cookie this browser session arrived with (st.context: the first request)."""
    try:
        raw = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return None
    return raw if isinstance(raw, str) and raw else None


def _valid_record(con) -> tuple[dict | None, str | None]:
    """(the session's record, None) while it is good; (None, why it ended) when it is not."""
    record = st.session_state.get(AUTH_KEY)
    if record is None:
        return None, None
    if not isinstance(record, dict) or not isinstance(record.get("username"), str) \
            or not isinstance(record.get("expires_at"), (int, float)):
        return None, "Please sign in again."
    if time.time() >= record["expires_at"]:
        return None, "Your session has ended. Please sign in again."
    digest = record.get("token_sha256")
    if digest and auth.is_revoked_digest(con, digest):   # signed out in another tab
        return None, "This session was signed out. Please sign in again."
    return record, None


def _load_user(con, record: dict) -> User | None:
    profile = auth.user_profile(con, record["username"])
    if profile is None or not profile.get("active", True):   # deactivated: the session ends
        return None
    return User(
        username=profile["username"], name=profile["name"], email=profile["email"] or "",
        org=profile["org"], org_name=profile["org_name"], org_kind=profile["org_kind"],
        is_root=bool(profile["org_is_root"]), roles=tuple(profile["roles"] or ()),
        expires_at=float(record["expires_at"]),
        must_change_password=bool(profile.get("must_change_password")),
    )


def _locked_sentence(until: datetime) -> str:
    return (f"Too many failed sign-ins for this username: it is locked until "
            f"{until:%H:%M} UTC. Try again after that, or ask an administrator.")


def _audit(con, username: str, action: str, detail: str | None = None) -> None:
    """Write one audit entry; an audit failure is logged, never shown as a traceback."""
    try:
        from data.audit import record_audit
        profile = auth.user_profile(con, username)
        record_audit(con, username=username, org=profile["org"] if profile else None,
                     action=action, detail=detail)
    except Exception:
        log.exception("could not write audit entry %s for %s", action, username)
