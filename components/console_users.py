"""The console's Users page and the Audit log's filtered read (issue #14, docs/console.md).

Users: the rules (subtree, roles, self-protection, validation, audit, temporary passwords) live
in data.console.users; this module connects the page's widgets to it and turns each outcome into
a sentence. Actions run as button callbacks, before the page is drawn again, so the table below
already shows the change; their outcome waits in session state (`FLASH`) for that one run and
is popped as it is shown. A temporary password is shown in that run only and kept nowhere else.

Audit log: `audit_view` is the page's one read (not cached: an administrator checking the log
wants the entry that just happened), filtered on the server by queries.reports.admin.
"""
from __future__ import annotations

import logging
from datetime import date

import pandas as pd
import streamlit as st

from components import tables
from components.store import cursor
from components.text import md_escape
from data.config import ConfigError
from data.console import users as console
from data.store import StoreBusy
from queries import scope as q
from queries.reports import admin as admin_reports

log = logging.getLogger("tierline.console")

FLASH = "users_flash"      # the last action's outcome, shown once
PICK = "users_pick"
STATUS = {(True, False): "active", (True, True): "active, must change password",
          (False, False): "deactivated", (False, True): "deactivated"}


# --- reading ------------------------------------------------------------------------------------

def listing(username: str) -> list[dict]:
    """The users of the admin's subtree (never a hash); ScopeError for a non-admin."""
    with cursor() as con:
        return console.users_of_subtree(con, q.scope_for_user(con, username))


def choices(username: str) -> dict:
    """Organisations, customers and roles the admin may hand out."""
    with cursor() as con:
        return console.grantable(con, q.scope_for_user(con, username))


def table(users: list[dict]) -> pd.DataFrame:
    return tables.frame([{
        "username": u["username"], "name": u["name"], "email": u["email"] or "",
        "organisation": u["org_name"], "roles": ", ".join(u["roles"]),
        "customers": ", ".join(u["customers"]),
        "status": STATUS[(u["active"], u["must_change_password"])],
    } for u in users])


# --- outcomes -------------------------------------------------------------------------------------

def show_flash() -> None:
    """The outcome of the action clicked in this run, once."""
    flash = st.session_state.pop(FLASH, None)
    if not isinstance(flash, dict):
        return
    if flash.get("error"):
        st.error(flash["error"])
        return
    st.success(flash["text"])
    if flash.get("password"):
        st.warning("This temporary password is shown now and never again: hand it to the user "
                   "by a channel you trust. They must choose their own at their first sign-in.")
        st.code(flash["password"], language=None)


def _sentence(exc: Exception) -> str:
    if isinstance(exc, ConfigError):
        problems = [f"{i.path}: {i.message}" if i.path and not i.path.startswith("(") else i.message
                    for i in exc.issues]
        return "Nothing was saved. " + " ".join(md_escape(p) for p in problems)
    return md_escape(str(exc))


def _act(admin: str, action, *args, success: str) -> None:
    """Run one data.console.users action as `admin`; leave its outcome in FLASH."""
    try:
        with cursor() as con:
            result = action(con, q.scope_for_user(con, admin), *args)
    except (ConfigError, q.ScopeError) as exc:
        st.session_state[FLASH] = {"error": _sentence(exc)}
        return
    except StoreBusy as exc:
        st.session_state[FLASH] = {"error": md_escape(str(exc))}
        return
    except Exception:          # a bug: logged with its traceback, a sentence on the page
        log.exception("users action %s failed", getattr(action, "__name__", action))
        st.session_state[FLASH] = {"error": "Something went wrong on our side; it has been "
                                            "logged. Nothing was saved."}
        return
    st.cache_data.clear()      # the new version keys every cached read anew; this frees memory
    if isinstance(result, console.TemporaryPassword):
        st.session_state[FLASH] = {"text": success.format(version=result.version),
                                   "password": result.password}
    else:
        st.session_state[FLASH] = {"text": success.format(version=result)}


def _value(key: str, default=None):
    return st.session_state.get(key, default)


# --- invite -----------------------------------------------------------------------------------------

def invite_form(admin: str, grant: dict) -> None:
    """Username, name, e-mail, organisation of the subtree, roles, customers; a temporary password."""
    orgs = {o["id"]: f"{o['name']} ({o['id']})" for o in grant["orgs"]}
    customers = {c["id"]: f"{c['name']} ({c['id']})" for c in grant["customers"]}
    with st.form("users_invite_form", clear_on_submit=True):
        left, right = st.columns(2)
        left.text_input("Username", key="users_invite_username", max_chars=64,
                        help="Letters, digits, '.', '_', '@', '+' or '-'; how they sign in.")
        right.text_input("Name", key="users_invite_name", max_chars=200)
        left.text_input("E-mail", key="users_invite_email", max_chars=200)
        right.selectbox("Organisation", list(orgs), format_func=orgs.get, key="users_invite_org")
        left.multiselect("Roles", grant["roles"], key="users_invite_roles",
                         format_func=_role_label)
        right.multiselect("Customers (account managers)", list(customers),
                          format_func=customers.get, key="users_invite_customers")
        st.form_submit_button("Invite", type="primary", on_click=_invite, args=(admin,))


def _invite(admin: str) -> None:
    username = (_value("users_invite_username") or "").strip()
    _act(admin, _invite_call, {
        "username": username, "name": _value("users_invite_name") or "",
        "email": _value("users_invite_email") or None, "org": _value("users_invite_org"),
        "roles": list(_value("users_invite_roles") or []),
        "customers": list(_value("users_invite_customers") or []) or None,
    }, success=f"Invited {md_escape(username.lower())} (configuration version {{version}}). "
               "Their temporary password:")


def _invite_call(con, scope, fields: dict):
    return console.invite_user(con, scope, **fields)


def _role_label(role: str) -> str:
    from components.nav import ROLE_LABELS
    return ROLE_LABELS.get(role, role)


# --- one user -----------------------------------------------------------------------------------------

def pick(users: list[dict]) -> dict:
    """One user of the listing (a forged value in session state is dropped)."""
    labels = {u["username"]: f"{u['name']} ({u['username']}, {u['org_name']})" for u in users}
    if st.session_state.get(PICK) not in labels:
        st.session_state.pop(PICK, None)
    chosen = st.selectbox("User", list(labels), format_func=labels.get, key=PICK)
    return next(u for u in users if u["username"] == chosen)


def edit_user(admin: str, target: dict, grant: dict) -> None:
    """Roles, customers, password reset and (de)activation of one user of the subtree."""
    name = target["username"]
    customers = {c["id"]: f"{c['name']} ({c['id']})" for c in grant["customers"]}
    left, right = st.columns(2)
    with left:
        st.multiselect("Roles", grant["roles"], default=target["roles"], format_func=_role_label,
                       key=f"users_roles_{name}")
        st.button("Save roles", key="users_save_roles", on_click=_save_roles, args=(admin, name))
    with right:
        st.multiselect("Customers they look after (account managers)", list(customers),
                       default=[c for c in target["customers"] if c in customers],
                       format_func=customers.get, key=f"users_customers_{name}")
        st.button("Save customers", key="users_save_customers", on_click=_save_customers,
                  args=(admin, name))
    one, two = st.columns(2)
    one.button("Reset password", key="users_reset", icon=":material/lock_reset:",
               on_click=_act, args=(admin, console.reset_password, name),
               kwargs={"success": f"The password of {md_escape(name)} is reset (configuration "
                                  "version {version}). Their temporary password:"})
    if target["active"]:
        two.button("Deactivate", key="users_deactivate", icon=":material/person_off:",
                   on_click=_act, args=(admin, console.set_active, name, False),
                   kwargs={"success": f"{md_escape(name)} is deactivated and can no longer sign "
                                      "in (configuration version {version})."})
    else:
        two.button("Activate", key="users_activate", icon=":material/person_check:",
                   on_click=_act, args=(admin, console.set_active, name, True),
                   kwargs={"success": f"{md_escape(name)} can sign in again (configuration "
                                      "version {version})."})


def _save_roles(admin: str, name: str) -> None:
    roles = list(_value(f"users_roles_{name}") or [])
    _act(admin, console.set_roles, name, roles,
         success=f"The roles of {md_escape(name)} are saved (configuration version {{version}}).")


def _save_customers(admin: str, name: str) -> None:
    chosen = list(_value(f"users_customers_{name}") or [])
    _act(admin, console.assign_customers, name, chosen,
         success=f"The customers of {md_escape(name)} are saved (configuration version "
                 "{version}).")


# --- audit log --------------------------------------------------------------------------------------

def audit_view(username: str, *, limit: int, who: str | None = None, what: str | None = None,
               target: str | None = None, logged_from: date | None = None,
               logged_to: date | None = None) -> pd.DataFrame:
    """The admin's audit entries that pass the filters, newest first (queries.reports.admin)."""
    with cursor() as con:
        return admin_reports.audit_entries(con, q.scope_for_user(con, username), limit=limit,
                                           username=who, action=what, target=target,
                                           logged_from=logged_from, logged_to=logged_to)


def audit_actions(username: str) -> list[str]:
    """The actions found among the entries the admin may read (the "what" filter's choices)."""
    with cursor() as con:
        return admin_reports.audit_actions(con, q.scope_for_user(con, username))
