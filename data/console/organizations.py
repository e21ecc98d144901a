"""Organisations in the admin console: the hierarchy of the admin's subtree as a tree, and the
changes an admin may make to it (docs/console.md "Organisations"). Every change is one
`edit_document` call: validated as `config import` validates, audited, nothing saved on error.

Rules that are the console's own (the document cannot tell them): an organisation that has
invoices is never deleted and never changes the currency it is invoiced in; the admin's own
organisation is never moved, deactivated or deleted by its own admins; a move that would put an
organisation under itself is refused with a sentence naming both."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from data.config.fields import ORG_KINDS
from data.console.document import edit_document, orgs_by_id, refuse, subtree_of
from queries import sql

if TYPE_CHECKING:
    import duckdb

    from queries.scope import Scope

# The fields `update` changes on an organisation item; branding fields live in `branding`.
ORG_FIELDS = ("name", "currency", "tax_rate_pct", "billing_email", "plan", "margin_floor_pct",
              "country")
BRANDING_FIELDS = ("display_name", "address_lines", "tax_id", "accent_colour",
                   "payment_terms_days", "footer_text", "invoice_prefix", "credit_note_prefix",
                   "email")
PARENT_TERMS = ("plan", "tax_rate_pct", "currency")   # the parent sells on them: its admins set them
NOT_YOURS = ("You can only change organisations within your own organisation's subtree; "
             "{value!r} is not one of them.")


def _require_admin(scope: Scope) -> None:
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator can see and change organisations.")


def _document(con: duckdb.DuckDBPyConnection) -> dict:
    from data.config.storage import current_config_data

    return current_config_data(con) or {}


def invoiced(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """{org id: True when one of its invoices is issued} for every organisation with invoices."""
    return {org: bool(issued) for org, issued in con.execute(sql("cfg_console_invoiced_orgs")).fetchall()}


def tree(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """The admin's organisation and its subtree, depth first (children by name), as document
    items with `depth` (0 = the admin's own), `children` (how many), `has_invoices` and
    `is_own`; the root carries `kind` distributor/reseller and no parent. Admins only."""
    _require_admin(scope)
    data = _document(con)
    orgs = orgs_by_id(data)
    mine = subtree_of(data, scope.org_id)
    children: dict[str, list[str]] = {}
    for oid, org in orgs.items():
        if oid in mine and org.get("parent") in mine and oid != scope.org_id:
            children.setdefault(org["parent"], []).append(oid)
    with_invoices = invoiced(con)
    out: list[dict] = []

    def walk(oid: str, depth: int) -> None:
        org = orgs[oid]
        kids = sorted(children.get(oid, []), key=lambda k: (orgs[k].get("name") or k).lower())
        out.append({**org, "depth": depth, "children": len(kids), "is_own": oid == scope.org_id,
                    "is_root": oid == (data.get("root") or {}).get("id"),
                    "active": org.get("active", True) not in (False, "false"),
                    "has_invoices": oid in with_invoices})
        for kid in kids:
            walk(kid, depth + 1)

    if scope.org_id in orgs:
        walk(scope.org_id, 0)
    return out


def plans_for_parent(con: duckdb.DuckDBPyConnection, scope: Scope, parent: str) -> list[dict]:
    """The plans `parent` sells on ({id, name}): an organisation under it is sold to on one."""
    _require_admin(scope)
    data = _document(con)
    if parent not in subtree_of(data, scope.org_id):
        return []
    return [{"id": p["id"], "name": p.get("name") or p["id"]}
            for p in data.get("plans") or [] if p.get("owner") == parent]


def _in_subtree(data: dict, scope: Scope, org_id: Any, field: str = "organisation") -> dict:
    """The organisation item `org_id` of the admin's subtree (the root's item for the root)."""
    from queries.scope import ScopeError

    if not isinstance(org_id, str) or org_id not in subtree_of(data, scope.org_id):
        raise ScopeError(NOT_YOURS.format(value=org_id))
    orgs = orgs_by_id(data)
    if org_id not in orgs:
        raise refuse(field, f"{org_id!r} is not configured")
    return orgs[org_id]


def _item(data: dict, org_id: str) -> dict:
    """The mutable item of `org_id` in the document data: `root` or one of `organizations`."""
    if (data.get("root") or {}).get("id") == org_id:
        return data["root"]
    return next(o for o in data["organizations"] if o.get("id") == org_id)


def create(con: duckdb.DuckDBPyConnection, scope: Scope, *, org_id: str, name: str, kind: str,
           parent: str, currency: str, plan: str | None, tax_rate_pct: str = "0",
           billing_email: str | None = None) -> int:
    """Add an organisation under `parent` (in the admin's subtree); return the new version."""
    def change(data: dict) -> None:
        parent_item = _in_subtree(data, scope, parent, "parent")
        if parent_item.get("active") in (False, "false"):
            raise refuse("parent", f"{parent!r} is deactivated; allowed: an active organisation")
        if kind not in ORG_KINDS:
            raise refuse("kind", f"{kind!r} is not a kind; allowed: " + ", ".join(ORG_KINDS))
        if org_id in orgs_by_id(data):
            raise refuse("id", f"{org_id!r} is already an organisation's id; allowed: an id no "
                         "other organisation uses")
        item = {"id": org_id, "name": name, "kind": kind, "parent": parent, "currency": currency,
                "plan": plan, "tax_rate_pct": tax_rate_pct or "0", "billing_email": billing_email}
        data.setdefault("organizations", []).append({k: v for k, v in item.items()
                                                     if v not in (None, "")})

    return edit_document(con, scope, change, what=f"organisation {org_id} created under {parent}")


def rename(con: duckdb.DuckDBPyConnection, scope: Scope, org_id: str, name: str) -> int:
    """Give an organisation of the subtree a new name."""
    return update(con, scope, org_id, name=name)


def move(con: duckdb.DuckDBPyConnection, scope: Scope, org_id: str, parent: str,
         plan: str | None = None) -> int:
    """Put `org_id` under another `parent` of the admin's subtree, sold to on `plan` (a plan the
    new parent owns; the current plan is kept when the new parent owns it too)."""
    from queries.scope import ScopeError

    def change(data: dict) -> None:
        item = _in_subtree(data, scope, org_id)
        if org_id == scope.org_id:
            raise ScopeError("Your own organisation cannot be moved by its own administrators; "
                             "ask the administrators of its parent.")
        _in_subtree(data, scope, parent, "parent")
        if parent in subtree_of(data, org_id):
            where = "itself" if parent == org_id else f"{parent!r}, which is below it"
            raise refuse("parent", f"{parent!r} would make a cycle: {org_id!r} cannot be moved "
                         f"under {where}; allowed: an organisation outside {org_id!r}'s subtree")
        if item.get("parent") == parent and (plan is None or plan == item.get("plan")):
            raise refuse("parent", f"{org_id!r} is already under {parent!r}")
        item = _item(data, org_id)
        item["parent"] = parent
        if plan:
            item["plan"] = plan

    return edit_document(con, scope, change, what=f"organisation {org_id} moved under {parent}")


def set_active(con: duckdb.DuckDBPyConnection, scope: Scope, org_id: str, active: bool) -> int:
    """Deactivate (or reactivate) an organisation. A deactivated one keeps its history,
    mappings and invoices and is still billed for rows mapped to it; the console hides it from
    its pickers and refuses new mappings, new users and new organisations under it."""
    from queries.scope import ScopeError

    def change(data: dict) -> None:
        _in_subtree(data, scope, org_id)
        if org_id == scope.org_id:
            raise ScopeError("Your own organisation cannot be deactivated by its own "
                             "administrators; ask the administrators of its parent.")
        item = _item(data, org_id)
        if active:
            item.pop("active", None)
        else:
            item["active"] = False

    state = "reactivated" if active else "deactivated"
    return edit_document(con, scope, change, what=f"organisation {org_id} {state}")


def delete(con: duckdb.DuckDBPyConnection, scope: Scope, org_id: str) -> int:
    """Remove an organisation that never had an invoice (and nothing else names: no children,
    mappings, users or plans; the validation says which)."""
    from queries.scope import ScopeError

    with_invoices = invoiced(con)

    def change(data: dict) -> None:
        _in_subtree(data, scope, org_id)
        if org_id == scope.org_id:
            raise ScopeError("Your own organisation cannot be deleted by its own administrators.")
        if org_id in with_invoices:
            raise refuse("organisation", f"{org_id!r} has invoices, so it is never deleted; "
                         "allowed: deactivate it")
        data["organizations"] = [o for o in data["organizations"] if o.get("id") != org_id]

    return edit_document(con, scope, change, what=f"organisation {org_id} deleted")


def update(con: duckdb.DuckDBPyConnection, scope: Scope, org_id: str, *,
           branding: dict[str, Any] | None = None, **fields: Any) -> int:
    """Change fields of one organisation: any of ORG_FIELDS (None or "" removes an optional
    one), and `branding` {field: value} of BRANDING_FIELDS. The currency of an organisation with
    invoices never changes; the root's own item is changed by the root's admins only."""
    bad = [k for k in fields if k not in ORG_FIELDS]
    if bad:
        raise refuse(bad[0], f"{bad[0]!r} is not a field the console changes; allowed: "
                     + ", ".join(ORG_FIELDS))
    bad = [k for k in branding or {} if k not in BRANDING_FIELDS]
    if bad:
        raise refuse(f"branding.{bad[0]}", f"{bad[0]!r} is not a branding field; allowed: "
                     + ", ".join(BRANDING_FIELDS))
    from queries.scope import ScopeError

    with_invoices = invoiced(con)

    def change(data: dict) -> None:
        _in_subtree(data, scope, org_id)
        item = _item(data, org_id)
        is_root = item is data.get("root")
        if "currency" in fields and fields["currency"] != item.get("currency") \
                and org_id in with_invoices:
            raise refuse("currency", f"{fields['currency']!r}: {org_id!r} already has invoices in "
                         f"{item.get('currency')}, so its currency never changes; allowed: "
                         f"{item.get('currency')}")
        for key, value in fields.items():
            if org_id == scope.org_id and not is_root and key in PARENT_TERMS \
                    and value != item.get(key):
                raise ScopeError(f"The {key} of your own organisation is set by its parent's "
                                 "administrators (it is the price they sell to you on).")
            if is_root and key in ("tax_rate_pct", "billing_email", "plan"):
                raise refuse(key, f"the organisation running Tierline has no {key}")
            if value is None or value == "" or value == []:
                if key in ("name", "currency") or (key == "plan" and not is_root):
                    raise refuse(key, f"{key} is required for {org_id!r}")
                item.pop(key, None)
            else:
                item[key] = value
        if branding:
            brand = dict(item.get("branding") or {})
            for key, value in branding.items():
                if value is None or value == "" or value == []:
                    brand.pop(key, None)
                else:
                    brand[key] = value
            if brand:
                item["branding"] = brand
            else:
                item.pop("branding", None)

    changed = ", ".join([*fields, *(f"branding.{k}" for k in branding or {})])
    return edit_document(con, scope, change, what=f"organisation {org_id}: {changed} changed")
