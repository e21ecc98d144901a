"""The one place Tierline touches streamlit-authenticator (pinned at 0.4.2 in requirements.txt).

components/auth.py signs users in through these functions only. Three of them reach into the
library's internals, each for the reason on its line; tests/test_authlib.py pins every one, so a
library upgrade that moves them fails there, loudly, instead of signing people out (or in).
"""
from __future__ import annotations

import streamlit as st
from streamlit_authenticator.controllers import AuthenticationController, CookieController
from streamlit_authenticator.utilities import LoginError

__all__ = ["AuthenticationController", "CookieController", "LoginError", "authentication",
           "cookie_manager", "cookies", "known_usernames", "sign_token"]


def authentication(credentials: dict, key: str) -> AuthenticationController:
    """The password checker over `credentials` (the library mutates them: pass a fresh dict)."""
    return AuthenticationController(credentials, auto_hash=False, secret_key=key)


def cookies(name: str, key: str, expiry_days: float) -> CookieController:
    """The library's cookie controller; building it renders its (invisible) cookie component."""
    return CookieController(name, key, expiry_days)


def known_usernames(controller: AuthenticationController) -> dict:
    """The usernames the controller can check (public attribute of its model)."""
    return controller.authentication_model.credentials["usernames"]


def cookie_manager(controller: CookieController):
    """The cookie component (extra_streamlit_components.CookieManager): writing and deleting the
    cookie through it directly lets the guard keep a write pending until the browser confirms."""
    return controller.cookie_model.cookie_manager


def sign_token(controller: CookieController, username: str) -> tuple[str, float]:
    """A session token signed by the library for `username`, and its expiry (epoch seconds).
    Private calls: the library has no public way to sign a token without writing the cookie in
    the same run, which its component may drop (docs/auth.md)."""
    model = controller.cookie_model
    model.exp_date = model._set_exp_date()          # private: the expiry the token will carry
    st.session_state["username"] = username           # the library encodes the username from here
    return model._token_encode(), float(model.exp_date)   # private: sign without writing
