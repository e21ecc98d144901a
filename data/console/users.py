"""The console's Users section (issue #14, docs/console.md "Users"): the users of an admin's
subtree, invited, reset, deactivated, given roles and customers, as edits of the one
configuration document through `data.console.document.edit_document` (validated as `config
import` validates, one transaction, one audit entry per changed user under the admin's
organisation, password hashes never in the log).

Passwords: an invite or a reset makes a temporary password with `secrets`, returns it ONCE (the
page shows it in that run and keeps it nowhere) and stores only its bcrypt hash
(`data.auth.hash_password`, `BCRYPT_COST`) with `must_change_password: true`; the sign-in guard
(components/auth.py) then opens nothing but the "choose a new password" form until the user
has chosen one (`change_own_password`, the one write here that is not an admin's).

Rules on top of the document's own checks, each a sentence naming the value, nothing saved:
the user, the organisation and the customers must be in the admin's subtree (an unknown user
and another tenant's user get the same sentence: the page does not tell them apart); roles are
the four of data/roles.py; an admin cannot deactivate itself or take its own admin role away.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import bcrypt

from data import auth
from data.audit import record_audit
from data.config.errors import ConfigError, ConfigIssue
from data.config.models import ConfigDocument
from data.config.storage import _replace_config, current_config_data
from data.config.validate import _validate_data
from data.console.document import edit_document, orgs_by_id, refuse, subtree_of
from data.roles import ROLES

if TYPE_CHECKING:
    import duckdb

    from queries.scope import Scope

# A temporary password: 16 URL-safe characters (96 random bits), read out once by the admin.
TEMP_PASSWORD_BYTES = 12
# A password a user chooses: long enough to resist guessing at bcrypt speed, short enough for
# bcrypt (72 bytes: data.auth.BCRYPT_MAX_PASSWORD_BYTES).
MIN_PASSWORD_CHARS = 12


@dataclass(frozen=True)
class TemporaryPassword:
    """What an invite or a reset hands the admin: the password, to show once, and the version."""

    username: str
    password: str
    version: int

    def __repr__(self) -> str:              # never in a log line or a traceback by accident
        return f"TemporaryPassword(username={self.username!r}, password='***', version={self.version})"


# --- reading ------------------------------------------------------------------------------------

def _document(con: duckdb.DuckDBPyConnection) -> dict:
    data = current_config_data(con)
    if data is None:
        raise refuse("store", "no configuration has been imported yet; allowed: "
                     "python cli.py config import FILE first")
    return data


def _require_admin(scope: Scope) -> None:
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator can manage users.")


def users_of_subtree(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """The users of the admin's organisation and the organisations below it, by organisation
    and username: username, name, email, org, org_name, roles, customers, active,
    must_change_password. Never a password hash."""
    _require_admin(scope)
    data = _document(con)
    tree = subtree_of(data, scope.org_id)
    orgs = orgs_by_id(data)
    out = []
    for u in data.get("users") or []:
        if u.get("org") not in tree:
            continue
        out.append({
            "username": u["username"], "name": u.get("name"), "email": u.get("email"),
            "org": u["org"], "org_name": orgs.get(u["org"], {}).get("name", u["org"]),
            "roles": list(u.get("roles") or []), "customers": list(u.get("customers") or []),
            "active": u.get("active") is not False,
            "must_change_password": bool(u.get("must_change_password")),
        })
    return sorted(out, key=lambda u: (u["org"] != scope.org_id, u["org_name"], u["username"]))


def grantable(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """What the admin may hand out: `orgs` (id, name, kind) of its subtree, its own first;
    `customers` (id, name) of its subtree; `roles` (all four; the document's checks decide which
    fit an organisation's kind)."""
    _require_admin(scope)
    data = _document(con)
    tree = subtree_of(data, scope.org_id)
    orgs = [{"id": oid, "name": o.get("name", oid), "kind": o.get("kind")}
            for oid, o in orgs_by_id(data).items() if oid in tree]
    orgs.sort(key=lambda o: (o["id"] != scope.org_id, o["kind"] == "customer", o["name"]))
    return {"orgs": orgs, "customers": [o for o in orgs if o["kind"] == "customer"],
            "roles": list(ROLES)}


# --- checks that name the value -------------------------------------------------------------------

def _outside(what: str, value: Any) -> Exception:
    from queries.scope import ScopeError

    return ScopeError(f"{what} {value!r} is not in your organisation's subtree; allowed: "
                      f"{'a user' if what == 'User' else 'one'} of your organisation or of the "
                      "organisations below it. Nothing was saved.")


def _user_index(data: dict, scope: Scope, username: Any) -> int:
    """The position of `username` among the users of the admin's subtree; an unknown user and
    another tenant's user get the same sentence."""
    tree = subtree_of(data, scope.org_id)
    for n, u in enumerate(data.get("users") or []):
        if u.get("username") == username and u.get("org") in tree:
            return n
    raise _outside("User", username)


def _check_org(data: dict, scope: Scope, org: Any) -> str:
    if not isinstance(org, str) or org not in subtree_of(data, scope.org_id):
        raise _outside("Organisation", org)
    return org


def _check_roles(roles: Any) -> list[str]:
    if not isinstance(roles, (list, tuple)) or not roles:
        raise refuse("roles", "no role chosen; allowed: one or more of " + ", ".join(ROLES))
    for role in roles:
        if role not in ROLES:
            raise refuse("roles", f"unknown role {role!r}; allowed: " + ", ".join(ROLES))
    return [r for r in ROLES if r in roles]         # one order, each once


def _check_customers(data: dict, scope: Scope, customers: Any) -> list[str]:
    if not isinstance(customers, (list, tuple)):
        raise refuse("customers", "allowed: a list of customers")
    tree = subtree_of(data, scope.org_id)
    for c in customers:
        if c not in tree:
            raise _outside("Customer", c)
    return list(dict.fromkeys(customers))


def _temporary() -> tuple[str, str]:
    password = secrets.token_urlsafe(TEMP_PASSWORD_BYTES)
    return password, auth.hash_password(password)


# --- the admin's changes ---------------------------------------------------------------------------

def invite_user(con: duckdb.DuckDBPyConnection, scope: Scope, *, username: str, name: str,
                email: str | None, org: str, roles: list[str],
                customers: list[str] | None = None) -> TemporaryPassword:
    """Add a user to an organisation of the admin's subtree with a temporary password, to be
    changed at the first sign-in. The password is returned once and stored only as its hash."""
    _require_admin(scope)
    data = _document(con)
    username = auth.normalise_username(username)
    if not username:
        raise refuse("username", "is empty; allowed: letters, digits, '.', '_', '@', '+' or '-'")
    if any(str(u.get("username", "")).lower() == username for u in data.get("users") or []):
        raise refuse("username", f"{username!r} is taken; allowed: a username no other user has")
    _check_org(data, scope, org)
    roles = _check_roles(roles)
    customers = _check_customers(data, scope, customers) if customers else None
    password, password_hash = _temporary()
    item = {"username": username, "name": (name or "").strip(), "org": org, "roles": roles,
            "password_hash": password_hash, "must_change_password": True}
    if email and email.strip():
        item["email"] = email.strip()
    if customers:
        item["customers"] = customers

    def change(doc: dict) -> None:
        doc.setdefault("users", []).append(item)

    version = edit_document(con, scope, change, what=f"user {username} invited (temporary "
                            "password, to be changed at first sign-in)", source="users")
    return TemporaryPassword(username, password, version)


def reset_password(con: duckdb.DuckDBPyConnection, scope: Scope, username: str) -> TemporaryPassword:
    """Give a user of the subtree a new temporary password (returned once), to be changed at
    their next sign-in; their current password stops working at once."""
    _require_admin(scope)
    data = _document(con)
    n = _user_index(data, scope, username)
    password, password_hash = _temporary()

    def change(doc: dict) -> None:
        doc["users"][n]["password_hash"] = password_hash
        doc["users"][n]["must_change_password"] = True

    version = edit_document(con, scope, change, what=f"password of {username} reset (temporary "
                            "password, to be changed at next sign-in)", source="users")
    return TemporaryPassword(username, password, version)


def set_active(con: duckdb.DuckDBPyConnection, scope: Scope, username: str, active: bool) -> int:
    """Deactivate a user (they can no longer sign in; an open session ends at its next click)
    or activate them again. Never oneself."""
    _require_admin(scope)
    data = _document(con)
    n = _user_index(data, scope, username)
    if username == scope.username and not active:
        raise refuse("active", f"{username!r} is you; allowed: another administrator "
                     "deactivates your account")

    def change(doc: dict) -> None:
        if active:
            doc["users"][n].pop("active", None)      # absent is active: the document stays short
        else:
            doc["users"][n]["active"] = False

    return edit_document(con, scope, change, source="users",
                         what=f"user {username} {'activated' if active else 'deactivated'}")


def set_roles(con: duckdb.DuckDBPyConnection, scope: Scope, username: str, roles: list[str]) -> int:
    """Change a user's roles (the document checks that they fit the organisation's kind). An
    admin keeps its own admin role."""
    _require_admin(scope)
    data = _document(con)
    n = _user_index(data, scope, username)
    roles = _check_roles(roles)
    if username == scope.username and "admin" not in roles:
        raise refuse("roles", f"{username!r} is you and would lose the role admin; allowed: "
                     "keep admin (another administrator can take it away)")

    def change(doc: dict) -> None:
        doc["users"][n]["roles"] = roles
        if "account_manager" not in roles:
            doc["users"][n].pop("customers", None)   # only account managers have customers

    return edit_document(con, scope, change, source="users",
                         what=f"roles of {username} set to {', '.join(roles)}")


def assign_customers(con: duckdb.DuckDBPyConnection, scope: Scope, username: str,
                     customers: list[str]) -> int:
    """Set the customers an account manager of the subtree looks after (an empty list: none)."""
    _require_admin(scope)
    data = _document(con)
    n = _user_index(data, scope, username)
    customers = _check_customers(data, scope, customers)

    def change(doc: dict) -> None:
        if customers:
            doc["users"][n]["customers"] = customers
        else:
            doc["users"][n].pop("customers", None)

    return edit_document(con, scope, change, source="users",
                         what=f"customers of {username} set to {', '.join(customers) or 'none'}")


# --- the user's own change ---------------------------------------------------------------------------

def password_problem(new: str, confirm: str, *, username: str, current_hash: str | None) -> str | None:
    """Why a chosen password is refused (a sentence), or None when it is fine."""
    if not new:
        return "Enter a new password."
    if new != confirm:
        return "The two new passwords differ. Type the same password twice."
    if len(new) < MIN_PASSWORD_CHARS:
        return f"The new password has {len(new)} characters; choose at least {MIN_PASSWORD_CHARS}."
    if len(new.encode()) > auth.BCRYPT_MAX_PASSWORD_BYTES:
        return (f"The new password is longer than {auth.BCRYPT_MAX_PASSWORD_BYTES} bytes; "
                "choose a shorter one.")
    if new.strip().lower() == username.lower():
        return "The new password is your username; choose another."
    if current_hash and bcrypt.checkpw(new.encode(), current_hash.encode()):
        return "The new password is the one you signed in with; choose a new one."
    return None


def change_own_password(con: duckdb.DuckDBPyConnection, username: str, current: str, new: str,
                        confirm: str) -> int:
    """The signed-in user (not an admin's act) replaces their password, which also lifts
    `must_change_password`. The current (temporary) password is asked again: a session that
    outlived a reset (someone else's, perhaps) must not choose the next password. ConfigError
    with one sentence when refused; the audit entry says that the password changed, under the
    user's organisation, never what."""
    data = _document(con)
    n = next((i for i, u in enumerate(data.get("users") or [])
              if u.get("username") == username and u.get("active") is not False), None)
    if n is None:
        raise refuse("user", "this account is no longer active; allowed: ask an administrator")
    user = data["users"][n]
    secret = (current or "").encode()
    if not secret or len(secret) > auth.BCRYPT_MAX_PASSWORD_BYTES \
            or not bcrypt.checkpw(secret, str(user.get("password_hash", "")).encode()):
        raise ConfigError([ConfigIssue("password", "current password", "The current password is "
                                       "not right. Type the password you signed in with.")])
    problem = password_problem(new, confirm, username=username, current_hash=user.get("password_hash"))
    if problem:
        raise ConfigError([ConfigIssue("password", "new password", problem)])
    forced = bool(user.get("must_change_password"))
    user["password_hash"] = auth.hash_password(new)
    user.pop("must_change_password", None)
    new_doc = _validate_data(data, {}, [], "password")

    def audit(con: duckdb.DuckDBPyConnection, *, version: int, previous: str | None,
              doc: ConfigDocument, imported_by: str) -> None:
        record_audit(con, username=username, org=user["org"], action="password_changed",
                     target=f"user {username}",
                     detail=f"config v{version}: password changed by its user"
                            + (" (the temporary password is no longer valid)" if forced else ""))

    return _replace_config(con, new_doc, imported_by=username, audit=audit)
