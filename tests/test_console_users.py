"""Issue #14, the console's Users section: invite (a temporary password shown once, changed at the
first sign-in), reset, deactivate, roles, customers; an admin acts within its own subtree only.

The demo channel (tests/browser_support.ui_store): Northwind (distributor) sells to MSP One,
CloudHaus and BritCloud (resellers). CloudHaus has ch-admin and the customer user
rheinwerk-user; MSP One has msp-admin, msp-leader, msp-am and two customer users. Every test
works on its own copy of the store, through the real pages (AppTest) and the data layer.
"""
from __future__ import annotations

import re
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from data.config import current_version
from data.console import users
from data.store import ROOT, connect
from queries import scope
from queries.scope import ScopeError
from tests.browser_support import PASSWORD, restore_env, set_env, ui_env, ui_store
from tests.test_pages_apptest import errors, run, shown, text_of
from tests.test_security_auth import browser, shows_sign_in, welcome

BCRYPT = re.compile(r"\$2[abxy]?\$\d\d\$")
NEW_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture()
def store(tmp_path):
    """A private copy of the UI store, served to AppTest (TIERLINE_DB) and opened here."""
    copy = tmp_path / "users.duckdb"
    shutil.copy(ui_store().apptest_db, copy)
    old = set_env(ui_env(copy))
    st.cache_data.clear()
    yield copy
    restore_env(old)
    st.cache_data.clear()


@pytest.fixture()
def con(store):
    return connect(store)


def as_(con, username: str):
    return scope.scope_for_user(con, username)


def open_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    return at.button(key="FormSubmitter:signin_form-Sign in").click().run()


def change_password(at: AppTest, current: str, new: str, again: str | None = None) -> AppTest:
    at.text_input(key="signin_current_password").input(current)
    at.text_input(key="signin_new_password").input(new)
    at.text_input(key="signin_new_password_again").input(new if again is None else again)
    return at.button(key="FormSubmitter:password_form-Save new password").click().run()


def asks_for_new_password(at: AppTest) -> bool:
    return "Choose a new password" in [s.value for s in at.subheader]


def links(at: AppTest) -> list[str]:
    return [n.proto.label for n in at.sidebar if type(n).__name__ == "PageLink"]


def invite(at: AppTest, username: str, name: str, org: str, roles: list[str]) -> AppTest:
    at.text_input(key="users_invite_username").input(username)
    at.text_input(key="users_invite_name").input(name)
    at.text_input(key="users_invite_email").input(f"{username}@example.com")
    at.selectbox(key="users_invite_org").set_value(org)
    at.multiselect(key="users_invite_roles").set_value(roles)
    return at.button(key="FormSubmitter:users_invite_form-Invite").click().run()


def no_hash_in_the_audit_log(con) -> None:
    for row in con.execute("select before::VARCHAR, after::VARCHAR, detail from audit_log").fetchall():
        assert not any(isinstance(v, str) and (BCRYPT.search(v) or "password_hash" in v) for v in row)


# --- invite: shown once, changed at the first sign-in ----------------------------------------------

def test_invite_shows_the_password_once_and_the_new_user_must_change_it(store, con, monkeypatch):
    before = current_version(con)
    at = run("pages/16_Users.py", "ch-admin")
    assert not at.exception and errors(at) == []
    at = invite(at, "nina.neu", "Nina Neu", "cloudhaus", ["leader"])
    assert not at.exception and errors(at) == [], errors(at)
    assert "Invited nina.neu" in shown(at.success[0].value)
    temporary = at.code[0].value
    assert len(temporary) >= 16 and temporary != PASSWORD
    assert "nina.neu" in at.dataframe[0].value["username"].tolist()
    assert current_version(con) == before + 1
    at.run()                                        # shown once: the next run has it no more
    assert len(at.code) == 0 and temporary not in text_of(at)
    stored = con.execute("select u.password_hash, f.must_change_password, f.active from cfg_users u "
                         "join cfg_user_flags f using (username) where username = 'nina.neu'"
                         ).fetchone()
    assert BCRYPT.match(stored[0]) and stored[0].startswith("$2b$10$") and stored[1:] == (True, True)
    no_hash_in_the_audit_log(con)
    assert temporary not in str(con.execute("select * from audit_log").fetchall())
    entry = con.execute("select org, target from audit_log where username = 'ch-admin' "
                        "and action = 'config_change'").fetchall()
    assert entry == [("cloudhaus", "user nina.neu")]

    browser(monkeypatch)                            # a new browser: signs in with it
    at = sign_in(open_app(), "nina.neu", temporary)
    assert not at.exception and asks_for_new_password(at)
    assert links(at) == [] and welcome(at) == []    # nothing else opens
    for page in ("pages/1_Costs.py", "pages/3_Margins.py"):
        forced = run(page, "nina.neu")              # the guard refuses every page until then
        assert asks_for_new_password(forced) and len(forced.dataframe) == 0 and links(forced) == []

    at = change_password(at, temporary, "short")
    assert asks_for_new_password(at) and "at least 12" in shown(at.error[0].value)
    at = change_password(at, "not-the-temporary-one", NEW_PASSWORD)
    assert asks_for_new_password(at) and "current password is not right" in shown(at.error[0].value)
    at = change_password(at, temporary, NEW_PASSWORD, "something-else-entirely")
    assert asks_for_new_password(at) and "differ" in shown(at.error[0].value)
    at = change_password(at, temporary, temporary)
    assert asks_for_new_password(at) and "the one you signed in with" in shown(at.error[0].value)
    at = change_password(at, temporary, NEW_PASSWORD)
    assert not at.exception and not asks_for_new_password(at), [e.value for e in at.error]
    assert welcome(at) == ["Welcome, Nina Neu"] and "Costs" in links(at)
    assert con.execute("select count(*) from cfg_user_flags where username = 'nina.neu'"
                       ).fetchone() == (0,)            # back to the defaults: no flags
    assert ("nina.neu", "password_changed") in con.execute(
        "select username, action from audit_log").fetchall()
    no_hash_in_the_audit_log(con)

    browser(monkeypatch)
    assert not asks_for_new_password(sign_in(open_app(), "nina.neu", NEW_PASSWORD))
    refused = sign_in(open_app(), "nina.neu", temporary)
    assert shows_sign_in(refused) and "not right" in shown(refused.error[0].value)


# --- reset, deactivate, roles, customers ---------------------------------------------------------------

def test_reset_gives_a_temporary_password_and_the_old_one_stops(store, con, monkeypatch):
    at = run("pages/16_Users.py", "ch-admin")
    at.selectbox(key="users_pick").set_value("rheinwerk-user").run()
    at = at.button(key="users_reset").click().run()
    assert not at.exception and "password of rheinwerk-user is reset" in shown(at.success[0].value)
    temporary = at.code[0].value
    browser(monkeypatch)
    assert shows_sign_in(sign_in(open_app(), "rheinwerk-user", PASSWORD))
    at = sign_in(open_app(), "rheinwerk-user", temporary)
    assert asks_for_new_password(at)
    at = change_password(at, temporary, NEW_PASSWORD)
    assert welcome(at) == ["Welcome, Jonas Becker"]
    no_hash_in_the_audit_log(con)


def test_a_deactivated_user_cannot_sign_in_and_an_open_session_ends(store, con, monkeypatch):
    at = run("pages/16_Users.py", "ch-admin")
    at.selectbox(key="users_pick").set_value("rheinwerk-user").run()
    at = at.button(key="users_deactivate").click().run()
    assert not at.exception and "deactivated" in shown(at.success[0].value)
    row = at.dataframe[0].value.set_index("username").loc["rheinwerk-user"]
    assert row["status"] == "deactivated"

    session = run("pages/1_Costs.py", "rheinwerk-user")      # a session that was open
    assert shows_sign_in(session) and len(session.dataframe) == 0
    assert "no longer active" in shown(session.info[0].value)
    browser(monkeypatch)
    refused = sign_in(open_app(), "rheinwerk-user", PASSWORD)
    assert shows_sign_in(refused) and "not right" in shown(refused.error[0].value)  # as if unknown

    at = run("pages/16_Users.py", "ch-admin")
    at.selectbox(key="users_pick").set_value("rheinwerk-user").run()
    at = at.button(key="users_activate").click().run()
    assert "can sign in again" in shown(at.success[0].value)
    assert welcome(sign_in(open_app(), "rheinwerk-user", PASSWORD)) == ["Welcome, Jonas Becker"]


def test_role_change_and_an_admin_keeps_its_own_admin_role(store, con):
    ch = as_(con, "ch-admin")
    users.invite_user(con, ch, username="lea", name="Lea", email=None, org="cloudhaus",
                      roles=["leader"])
    at = run("pages/16_Users.py", "ch-admin")
    at.selectbox(key="users_pick").set_value("lea").run()
    at.multiselect(key="users_roles_lea").set_value(["leader", "account_manager"])
    at = at.button(key="users_save_roles").click().run()
    assert not at.exception and "roles of lea are saved" in shown(at.success[0].value)
    at.multiselect(key="users_customers_lea").set_value(["rheinwerk"])
    at = at.button(key="users_save_customers").click().run()
    assert "customers of lea are saved" in shown(at.success[0].value)
    assert con.execute("select roles, customers from cfg_users where username = 'lea'"
                       ).fetchone() == (["leader", "account_manager"], ["rheinwerk"])

    version = current_version(con)
    at.selectbox(key="users_pick").set_value("ch-admin").run()
    at.multiselect(key="users_roles_ch-admin").set_value(["leader"])
    at = at.button(key="users_save_roles").click().run()
    assert "Nothing was saved" in shown(at.error[0].value) and "would lose the role admin" in shown(at.error[0].value)
    at = at.button(key="users_deactivate").click().run()
    assert "is you" in shown(at.error[0].value)
    assert current_version(con) == version
    # a customer organisation's user gets customer only: the document's own check, in words
    with pytest.raises(Exception, match="is a customer; allowed: roles: \\[customer\\]"):
        users.set_roles(con, ch, "rheinwerk-user", ["leader"])
    assert current_version(con) == version


# --- the admin's subtree, and nothing beyond ----------------------------------------------------------

def test_another_subtrees_user_organisation_or_customer_is_named_and_nothing_saved(store, con):
    ch = as_(con, "ch-admin")
    version = current_version(con)
    cases = [
        (lambda: users.reset_password(con, ch, "msp-am"), "User 'msp-am'"),
        (lambda: users.set_active(con, ch, "msp-admin", False), "User 'msp-admin'"),
        (lambda: users.set_roles(con, ch, "dist-admin", ["leader"]), "User 'dist-admin'"),
        (lambda: users.set_active(con, ch, "nobody-at-all", False), "User 'nobody-at-all'"),
        (lambda: users.invite_user(con, ch, username="x1", name="X", email=None, org="msp-one",
                                   roles=["leader"]), "Organisation 'msp-one'"),
        (lambda: users.invite_user(con, ch, username="x2", name="X", email=None, org="northwind",
                                   roles=["admin"]), "Organisation 'northwind'"),
        (lambda: users.invite_user(con, ch, username="x3", name="X", email=None, org="cloudhaus",
                                   roles=["account_manager"], customers=["contoso"]),
         "Customer 'contoso'"),
    ]
    for call, named in cases:
        with pytest.raises(ScopeError, match=re.escape(named) + ".*not in your organisation's subtree"):
            call()
    with pytest.raises(Exception, match="unknown role 'superuser'"):
        users.invite_user(con, ch, username="x4", name="X", email=None, org="cloudhaus",
                          roles=["superuser"])
    with pytest.raises(Exception, match="'msp-am' is taken"):
        users.invite_user(con, ch, username="MSP-AM", name="X", email=None, org="cloudhaus",
                          roles=["leader"])
    assert current_version(con) == version
    assert con.execute("select count(*) from cfg_users where username like 'x_'").fetchone() == (0,)


def test_a_reseller_admin_neither_sees_nor_changes_another_resellers_users(store, con):
    at = run("pages/16_Users.py", "msp-admin")
    assert not at.exception and errors(at) == []
    shown = at.dataframe[0].value["username"].tolist()
    assert {"msp-admin", "msp-am", "contoso-user"} <= set(shown)
    assert not {"ch-admin", "rheinwerk-user", "bc-admin", "dist-admin"} & set(shown)
    assert not BCRYPT.search(text_of(at))
    org_choices = at.selectbox(key="users_invite_org").options
    assert not [o for o in org_choices if "CloudHaus" in o or "Northwind" in o]

    forged = run("pages/16_Users.py", "msp-admin", state={"users_pick": "ch-admin"})
    assert forged.selectbox(key="users_pick").value != "ch-admin"   # dropped, not obeyed
    assert "Katrin" not in text_of(forged)
    msp = as_(con, "msp-admin")
    with pytest.raises(ScopeError, match="User 'rheinwerk-user'"):
        users.set_active(con, msp, "rheinwerk-user", False)
    assert not [u for u in users.users_of_subtree(con, msp) if u["org"] == "cloudhaus"]
    with pytest.raises(ScopeError):
        users.users_of_subtree(con, as_(con, "msp-leader"))        # admins only


def test_the_forced_form_needs_the_temporary_password_so_an_old_session_cannot_choose(store, con):
    temp = users.reset_password(con, as_(con, "ch-admin"), "rheinwerk-user")
    at = run("app.py", "rheinwerk-user")          # a session from before the reset
    assert asks_for_new_password(at)
    at = change_password(at, PASSWORD, NEW_PASSWORD)
    assert asks_for_new_password(at) and "current password is not right" in shown(at.error[0].value)
    assert "***" in repr(temp) and temp.password not in repr(temp)


def test_the_console_changes_export_as_a_document_config_import_accepts(store, con):
    from data.config import export_config, parse_config

    ch = as_(con, "ch-admin")
    users.invite_user(con, ch, username="otto", name="Otto", email=None, org="cloudhaus",
                      roles=["leader"])
    users.set_active(con, ch, "rheinwerk-user", False)
    text = export_config(con)
    assert "must_change_password: true" in text and "active: false" in text
    again = parse_config(text)
    exported = {u.username: (u.active, u.must_change_password) for u in again.users}
    assert exported["otto"] == (None, True) and exported["rheinwerk-user"] == (False, None)
