"""The streamlit-authenticator adapter (components/authlib.py): what Tierline relies on in the
library, private parts included, pinned so that an upgrade fails here and not in production."""
from __future__ import annotations

import inspect
import time
from importlib.metadata import version

from streamlit.testing.v1 import AppTest

from data import auth

KEY = "authlib-tests-" + "k" * 48


def test_the_library_is_the_version_the_adapter_was_written_for():
    assert version("streamlit-authenticator") == "0.4.2", "re-check components/authlib.py, then this pin"


def test_the_private_parts_the_adapter_calls_exist():
    from streamlit_authenticator.models import CookieModel
    assert callable(getattr(CookieModel, "_set_exp_date", None))
    assert callable(getattr(CookieModel, "_token_encode", None))
    assert inspect.signature(CookieModel._token_encode).parameters.keys() == {"self"}


def test_only_the_adapter_imports_the_library():
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    users = sorted(str(p.relative_to(root)) for folder in ("components", "data", "queries", "pages", "pricing")
                   for p in (root / folder).rglob("*.py") if "streamlit_authenticator" in p.read_text())
    assert users == ["components/authlib.py"]


def _sign(username: str) -> tuple[str, float, list[str], str]:
    """Drive the adapter inside a Streamlit run (the library keeps state in session_state)."""
    def script():
        import streamlit as st

        from components import authlib
        from data import auth as a
        credentials = {"usernames": {"ana": {"name": "Ana", "email": "", "roles": ["admin"],
                                             "password": a.hash_password("pw-ana")}}}
        controller = authlib.authentication(credentials, st.session_state["key"])
        st.session_state["known"] = sorted(authlib.known_usernames(controller))
        cookies = authlib.cookies("tierline_session", st.session_state["key"], 1 / 24)
        st.session_state["manager"] = type(authlib.cookie_manager(cookies)).__name__
        st.session_state["token"] = authlib.sign_token(cookies, st.session_state["who"])

    at = AppTest.from_function(script)
    at.session_state["key"] = KEY
    at.session_state["who"] = username
    at.run()
    assert not at.exception, at.exception
    token, expires = at.session_state["token"]
    return token, expires, at.session_state["known"], at.session_state["manager"]


def test_a_token_the_library_signs_is_one_tierline_reads():
    token, expires, known, manager = _sign("ana")
    assert known == ["ana"] and manager == "CookieManager"
    read = auth.read_token(token, KEY, auth.Policy(session=auth.Policy().session))
    assert read is not None and read.username == "ana"
    assert abs(read.expires_at - expires) < 1 and expires > time.time()
