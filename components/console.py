"""The admin console's Organisations, Account mappings and FX rates pages (docs/console.md).

Each page calls one function here after its guard. Reads and writes go through data/console/
(which checks the scope again on the server: a forged widget value is refused there); this module
draws the widgets, and turns each outcome into a message. Changes run in button callbacks, before
the page is drawn again, so the tables below a button already show the change; the message of the
last change is kept in session state (`console_message`) and shown at the top.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from components import money, tables
from components.pickers import period_label
from components.store import cursor
from components.text import md_escape
from data.config import ConfigError
from data.console import fx, mappings, organizations
from queries import scope as q

MESSAGE_KEY = "console_message"       # (kind, text) of the last change, shown once
KINDS = ("customer", "reseller")


# --------------------------------------------------------------------------------------------
# Running a change

def _apply(username: str, action: Callable, success: str) -> None:
    """Run `action(con, scope)` and keep the outcome as a message: the new version, or every
    problem as a sentence (ConfigError), or the refusal (ScopeError). Nothing is saved on error."""
    try:
        with cursor() as con:
            version = action(con, q.scope_for_user(con, username))
    except ConfigError as exc:
        text = "Nothing was saved:\n\n" + "\n".join(
            f"- {md_escape(f'{i.path}: {i.message}' if i.path else i.message)}" for i in exc.issues)
        st.session_state[MESSAGE_KEY] = ("error", text)
        return
    except q.ScopeError as exc:
        st.session_state[MESSAGE_KEY] = ("error", "Nothing was saved: " + md_escape(str(exc)))
        return
    except ValueError as exc:
        st.session_state[MESSAGE_KEY] = ("error", "Nothing was saved: " + md_escape(str(exc)))
        return
    st.cache_data.clear()      # the new version keys every cached read anew; this frees memory
    st.session_state[MESSAGE_KEY] = (
        "success", f"{md_escape(success)} Saved as configuration version {version}; it applies "
                   "from the next billing run.")


def _message() -> None:
    kind, text = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind == "error":
        st.error(text)
    elif kind == "success":
        st.success(text)


def _value(key: str, default=None):
    value = st.session_state.get(key, default)
    return value.strip() if isinstance(value, str) else value


def _select(label: str, options: list, labels: dict, *, key: str, **kwargs):
    """A selectbox whose session value is reset to the first option when it is no longer one of
    `options` (a change removed it): set, not dropped, so that the browser shows the value the
    server holds, and a click acts on what is shown."""
    if st.session_state.get(key) is not None and st.session_state.get(key) not in options:
        if options:
            st.session_state[key] = options[0]
        else:
            st.session_state.pop(key, None)
    return st.selectbox(label, options, key=key, format_func=lambda v: labels.get(v, str(v)), **kwargs)


# --------------------------------------------------------------------------------------------
# Organisations

def _tree_frame(orgs: list[dict]) -> pd.DataFrame:
    rows = []
    for o in orgs:
        rows.append({
            "organisation": "\u2003" * o["depth"] + ("└ " if o["depth"] else "") + o.get("name", o["id"]),
            "id": o["id"], "kind": o.get("kind"), "currency": o.get("currency"),
            "plan": o.get("plan", ""), "tax_rate_pct": o.get("tax_rate_pct", ""),
            "status": "active" if o["active"] else "deactivated",
            "invoices": "yes" if o["has_invoices"] else "",
        })
    return pd.DataFrame(rows)


def organisations(username: str) -> None:
    """The Organisations page body."""
    _message()
    with cursor() as con:
        scope = q.scope_for_user(con, username)
        orgs = organizations.tree(con, scope)
    if not orgs:
        st.info("No configuration has been imported yet.")
        return
    st.subheader("Your organisation's tree")
    tables.show(_tree_frame(orgs), key="org_tree")
    by_id = {o["id"]: o for o in orgs}
    names = {o["id"]: f"{o.get('name', o['id'])} ({o['id']})" for o in orgs}
    own = next(o["id"] for o in orgs if o["is_own"])
    sellers = [o["id"] for o in orgs if o.get("kind") != "customer" and o["active"]]
    movable = [o["id"] for o in orgs if not o["is_own"]]

    create, edit, move, status = st.tabs(["Create", "Edit", "Move", "Deactivate or delete"])
    with create:
        c1, c2 = st.columns(2)
        c1.text_input("Id", key="org_new_id", help="letters, digits, '.', '_' or '-'")
        c2.text_input("Name", key="org_new_name")
        c1.selectbox("Kind", KINDS, key="org_new_kind")
        parent = _select("Parent", sellers, names, key="org_new_parent")
        c1.text_input("Currency", key="org_new_currency", value=by_id[own].get("currency", ""),
                      help="ISO 4217 code, e.g. EUR")
        c2.text_input("Tax rate %", key="org_new_tax", value="0")
        plans = _plans(username, parent)
        _select("Plan", list(plans), plans, key="org_new_plan",
                help="the plan its parent sells to it on")
        st.text_input("Billing e-mail (optional)", key="org_new_email")
        st.button("Create organisation", key="org_create", type="primary",
                  on_click=_create, args=(username,))
    with edit:
        target = _select("Organisation", [o["id"] for o in orgs], names, key="org_edit_pick")
        if target:
            _edit_form(username, by_id[target])
    with move:
        if not movable:
            st.caption("Your own organisation is moved by the administrators of its parent.")
        else:
            moving = _select("Organisation to move", movable, names, key="org_move_pick")
            # every seller of the subtree is offered; one below the organisation moved is
            # refused on the server with a sentence (a cycle), like a forged value would be
            parents = [p for p in sellers if p != moving]
            new_parent = _select("New parent", parents, names, key="org_move_parent",
                                 help="an organisation of your subtree outside the one moved")
            plans = _plans(username, new_parent)
            _select("Plan under the new parent", list(plans), plans, key="org_move_plan")
            st.button("Move", key="org_move", type="primary", on_click=_move, args=(username,))
    with status:
        if not movable:
            st.caption("Your own organisation is deactivated by the administrators of its parent.")
        else:
            pick = _select("Organisation", movable, names, key="org_status_pick")
            org = by_id.get(pick) or {}
            st.caption("Deactivating keeps its history, invoices and mappings; the console stops "
                       "offering it for new mappings, users and organisations. An organisation "
                       "with invoices is never deleted.")
            c1, c2, c3 = st.columns(3)
            if org.get("active", True):
                c1.button("Deactivate", key="org_deactivate", on_click=_set_active,
                          args=(username, False))
            else:
                c1.button("Reactivate", key="org_reactivate", on_click=_set_active,
                          args=(username, True))
            c2.button("Delete", key="org_delete", disabled=bool(org.get("has_invoices")),
                      on_click=_delete, args=(username,),
                      help="only an organisation that never had an invoice")


def _plans(username: str, parent: str | None) -> dict[str, str]:
    if not parent:
        return {}
    with cursor() as con:
        found = organizations.plans_for_parent(con, q.scope_for_user(con, username), parent)
    return {p["id"]: f"{p['name']} ({p['id']})" if p["name"] != p["id"] else p["id"] for p in found}


def _create(username: str) -> None:
    org_id = _value("org_new_id", "")
    _apply(username, lambda con, scope: organizations.create(
        con, scope, org_id=org_id, name=_value("org_new_name", ""),
        kind=_value("org_new_kind"), parent=_value("org_new_parent"),
        currency=(_value("org_new_currency", "") or "").upper(), plan=_value("org_new_plan"),
        tax_rate_pct=_value("org_new_tax", "0"), billing_email=_value("org_new_email") or None),
        f"Organisation {org_id} created.")


EDIT_FIELDS = (("name", "Name"), ("currency", "Currency"), ("tax_rate_pct", "Tax rate %"),
               ("billing_email", "Billing e-mail"), ("margin_floor_pct", "Margin floor %"))
BRANDING_EDIT = (("display_name", "Display name on invoices"), ("tax_id", "Tax id"),
                 ("accent_colour", "Accent colour (#RRGGBB)"), ("invoice_prefix", "Invoice prefix"),
                 ("payment_terms_days", "Payment terms (days)"), ("email", "Invoice e-mail"),
                 ("footer_text", "Invoice footer"))


def _edit_form(username: str, org: dict) -> None:
    oid = org["id"]
    fields = [f for f in EDIT_FIELDS
              if not (org["is_root"] and f[0] in ("tax_rate_pct", "billing_email"))]
    c1, c2 = st.columns(2)
    for n, (field, label) in enumerate(fields):
        (c1 if n % 2 == 0 else c2).text_input(
            label, value=str(org.get(field) or ""), key=f"org_edit_{field}_{oid}",
            disabled=field == "currency" and org["has_invoices"],
            help="fixed once it has invoices" if field == "currency" else None)
    if not org["is_root"]:
        plans = _plans(username, org.get("parent"))
        if org.get("plan") and org["plan"] not in plans:
            plans[org["plan"]] = org["plan"]
        _select("Plan", list(plans), plans, key=f"org_edit_plan_{oid}",
                disabled=org["is_own"], help="set by its parent's administrators" if org["is_own"] else None)
    st.markdown("**Branding**")
    brand = org.get("branding") or {}
    b1, b2 = st.columns(2)
    for n, (field, label) in enumerate(BRANDING_EDIT):
        (b1 if n % 2 == 0 else b2).text_input(label, value=str(brand.get(field) or ""),
                                              key=f"org_edit_b_{field}_{oid}")
    st.text_area("Address lines", value="\n".join(brand.get("address_lines") or []),
                 key=f"org_edit_b_address_lines_{oid}")
    st.button("Save changes", key="org_edit_save", type="primary", on_click=_edit,
              args=(username, org, [f for f, _ in fields]))


def _edit(username: str, org: dict, fields: list[str]) -> None:
    oid = org["id"]
    changed = {}
    for field in fields:
        value = _value(f"org_edit_{field}_{oid}", "")
        if value != str(org.get(field) or ""):
            changed[field] = value.upper() if field == "currency" else value
    if not org["is_root"]:
        plan = _value(f"org_edit_plan_{oid}")
        if plan and plan != org.get("plan"):
            changed["plan"] = plan
    brand = org.get("branding") or {}
    branding = {}
    for field, _label in BRANDING_EDIT:
        value = _value(f"org_edit_b_{field}_{oid}", "")
        if value != str(brand.get(field) or ""):
            branding[field] = value
    lines = [line.strip() for line in (_value(f"org_edit_b_address_lines_{oid}", "") or "").splitlines()
             if line.strip()]
    if lines != list(brand.get("address_lines") or []):
        branding["address_lines"] = lines
    _apply(username, lambda con, scope: organizations.update(
        con, scope, oid, branding=branding or None, **changed), f"Organisation {oid} changed.")


def _move(username: str) -> None:
    org_id, parent = _value("org_move_pick"), _value("org_move_parent")
    _apply(username, lambda con, scope: organizations.move(con, scope, org_id, parent,
                                                           _value("org_move_plan")),
           f"Organisation {org_id} moved under {parent}.")


def _set_active(username: str, active: bool) -> None:
    org_id = _value("org_status_pick")
    _apply(username, lambda con, scope: organizations.set_active(con, scope, org_id, active),
           f"Organisation {org_id} {'reactivated' if active else 'deactivated'}.")


def _delete(username: str) -> None:
    org_id = _value("org_status_pick")
    _apply(username, lambda con, scope: organizations.delete(con, scope, org_id),
           f"Organisation {org_id} deleted.")


# --------------------------------------------------------------------------------------------
# Account mappings

def _key(item: dict) -> str:
    """A stable option value for an account or a mapping: its content as text."""
    return json.dumps({k: v for k, v in item.items() if k not in ("cost", "rows", "customer_name")},
                      sort_keys=True, default=str)


def _account_label(a: dict) -> str:
    what = f"sub-account {a['sub_account_id']}" if a.get("sub_account_id") \
        else f"billing account {a['billing_account_id']}"
    return f"{a['provider']} {what} ({money.fmt(a['cost'], a['currency'])})"


def _mapping_label(m: dict) -> str:
    if m["kind"] == "tag":
        what = f"tag {m['tag']}={m.get('value')}"
    elif m["kind"] == "sub_account":
        what = f"{m.get('provider')} sub-account {m['sub_account_id']}"
    else:
        what = f"{m.get('provider')} billing account {m.get('billing_account_id')}"
    dates = ""
    if m.get("from") or m.get("to"):
        dates = f", {m.get('from') or '…'} to {m.get('to') or '…'}"
    return f"{what} → {m['customer_name']}{dates}"


def account_mappings(username: str, is_root: bool) -> None:
    """The Account mappings page body."""
    _message()
    with cursor() as con:
        scope = q.scope_for_user(con, username)
        customers = mappings.customers(con, scope)
        current = mappings.mappings(con, scope)
        billed = sorted(q.visible_periods(con, scope), reverse=True) if is_root else []
    names = {c["id"]: f"{c['name']} ({c['id']})" for c in customers}
    st.session_state["_map_customer_names"] = names      # for the notice: a name, not only an id
    ids = list(names)
    if is_root:
        st.subheader("Unmapped accounts")
        if not billed:
            st.caption("No billed period yet: unmapped accounts show after the first billing run.")
        else:
            period = _select("Period", billed, {p: period_label(p) for p in billed}, key="map_period")
            with cursor() as con:
                unmapped = mappings.unmapped(con, q.scope_for_user(con, username), period)
            st.session_state["_map_unmapped"] = unmapped
            if not unmapped:
                st.success("Every account of this period is mapped to a customer.")
            else:
                frame = pd.DataFrame([{
                    "provider": a["provider"], "billing_account_id": a["billing_account_id"],
                    "sub_account": a["sub_account_id"] or "", "rows": a["rows"],
                    "cost": a["cost"], "currency": a["currency"]} for a in unmapped])
                st.caption("Cost of the last billing run that no customer is billed for, largest "
                           "first. Map them, then re-run billing for the period.")
                tables.show(frame, money_columns=["cost"], key="map_unmapped_table")
                # options are the accounts themselves (stable keys), never positions: after a
                # change the list shifts, and a kept position would name another account
                labels = {_key(a): _account_label(a) for a in unmapped}
                kept = [k for k in st.session_state.get("map_unmapped_pick") or [] if k in labels]
                if kept != (st.session_state.get("map_unmapped_pick") or []):
                    st.session_state["map_unmapped_pick"] = kept
                st.multiselect("Accounts", list(labels), key="map_unmapped_pick",
                               format_func=lambda k: labels.get(k, k))
                _select("Customer", ids, names, key="map_unmapped_customer")
                st.button("Map to customer", key="map_assign", type="primary",
                          on_click=_assign, args=(username,))
    st.subheader("Mappings of your customers")
    if current:
        tables.show(pd.DataFrame([{
            "customer": m["customer_name"], "kind": m["kind"].replace("_", " "),
            "provider": m.get("provider", ""),
            "account_or_tag": m.get("sub_account_id") or m.get("billing_account_id")
            or f"{m.get('tag')}={m.get('value')}",
            "from": m.get("from", ""), "to": m.get("to", "")} for m in current]),
            key="map_table")
    else:
        st.caption("No mapping routes rows to your customers yet.")
    change, add = st.tabs(["Re-assign or hand over", "Add a mapping or tag rule"])
    with change:
        if current:
            labels = {_key(m): _mapping_label(m) for m in current}
            st.session_state["_map_current"] = current
            _select("Mapping", list(labels), labels, key="map_change_pick")
            _select("New customer", ids, names, key="map_change_customer")
            st.date_input("From (leave empty: the whole mapping moves)", value=None,
                          key="map_change_from", help="the day the new customer takes over "
                          "(the old mapping ends the day before)")
            c1, c2 = st.columns(2)
            c1.button("Re-assign", key="map_reassign", type="primary", on_click=_reassign,
                      args=(username,))
            c2.button("Remove mapping", key="map_remove", on_click=_remove, args=(username,))
    with add:
        kind = st.radio("Maps", ["sub-account", "billing account", "tag"], key="map_add_kind",
                        horizontal=True)
        c1, c2 = st.columns(2)
        if kind == "tag":
            c1.text_input("Tag key", key="map_add_tag")
            c2.text_input("Tag value", key="map_add_value")
        else:
            c1.text_input("Provider", key="map_add_provider", help="as in FOCUS ProviderName, e.g. AWS")
            c2.text_input("Account id", key="map_add_account")
        _select("Customer", ids, names, key="map_add_customer")
        d1, d2 = st.columns(2)
        d1.date_input("From (optional)", value=None, key="map_add_from")
        d2.date_input("To, exclusive (optional)", value=None, key="map_add_to")
        st.button("Add mapping", key="map_add", type="primary", on_click=_add, args=(username,))


def _assign(username: str) -> None:
    unmapped = {_key(a): a for a in st.session_state.get("_map_unmapped") or []}
    picked = [unmapped[k] for k in _value("map_unmapped_pick", []) or [] if k in unmapped]
    customer = _value("map_unmapped_customer")
    named = (st.session_state.get("_map_customer_names") or {}).get(customer, customer)
    _apply(username, lambda con, scope: mappings.assign_unmapped(con, scope, picked, customer),
           f"{len(picked)} account(s) mapped to {named}.")
    if st.session_state.get(MESSAGE_KEY, ("",))[0] == "success":
        st.session_state["map_unmapped_pick"] = []


def _picked_mapping() -> dict | None:
    current = {_key(m): m for m in st.session_state.get("_map_current") or []}
    return current.get(_value("map_change_pick"))


def _reassign(username: str) -> None:
    m = _picked_mapping()
    customer, day = _value("map_change_customer"), _value("map_change_from")
    if m is None:
        st.session_state[MESSAGE_KEY] = ("error", "Nothing was saved: pick a mapping.")
        return
    if isinstance(day, date):
        _apply(username, lambda con, scope: mappings.hand_over(con, scope, m, customer, day),
               f"Handed over to {customer} from {day}.")
    else:
        _apply(username, lambda con, scope: mappings.reassign(con, scope, m, customer),
               f"Re-assigned to {customer}.")


def _remove(username: str) -> None:
    m = _picked_mapping()
    if m is None:
        st.session_state[MESSAGE_KEY] = ("error", "Nothing was saved: pick a mapping.")
        return
    _apply(username, lambda con, scope: mappings.remove(con, scope, m), "Mapping removed.")


def _add(username: str) -> None:
    kind = _value("map_add_kind")
    item: dict = {"customer": _value("map_add_customer"), "from": _value("map_add_from"),
                  "to": _value("map_add_to")}
    if kind == "tag":
        item.update(tag=_value("map_add_tag"), value=_value("map_add_value"))
    else:
        field = "sub_account_id" if kind == "sub-account" else "billing_account_id"
        item.update(provider=_value("map_add_provider"), **{field: _value("map_add_account")})
    _apply(username, lambda con, scope: mappings.add(con, scope, [item]),
           f"Mapping to {item['customer']} added.")


# --------------------------------------------------------------------------------------------
# FX rates

def fx_rates(username: str) -> None:
    """The FX rates page body."""
    _message()
    with cursor() as con:
        scope = q.scope_for_user(con, username)
        periods = fx.periods(con, scope)
    if not periods:
        st.info("No period has rates or landed rows yet.")
        return
    period = _select("Period", periods, {p: period_label(p) for p in periods}, key="fx_period")
    with cursor() as con:
        view = fx.rates(con, q.scope_for_user(con, username), period)
    if view["locked"]:
        st.info(f"{period_label(period)} is locked: invoices of this period are issued, so its "
                "rates never change.", icon=":material/lock:")
    for m in view["missing"]:
        who = ", ".join(m["organisations"][:6]) + (" …" if len(m["organisations"]) > 6 else "")
        st.warning(md_escape(f"No {m['from']}->{m['to']} rate for {period:%Y-%m}: {m['rows']:,} "
                             f"rows landed in {m['from']} and {who} are invoiced in {m['to']}."),
                   icon=":material/warning:")
    if view["rates"]:
        tables.show(pd.DataFrame([{"from": r["from"], "to": r["to"],
                                   "rate": str(r["rate"]),     # as written: 0.9280
                                   "status": "locked" if view["locked"] else "open"}
                                  for r in view["rates"]]), key="fx_table")
    else:
        st.caption("No rates for this period yet.")
    if not view["editable"]:
        if not view["locked"]:
            st.caption("Rates are set by the administrators of the organisation running Tierline.")
        return
    st.subheader("Set a rate")
    first = view["missing"][0] if view["missing"] else {}
    for field in ("from", "to"):      # offer the first missing pair while the boxes are empty
        if not st.session_state.get(f"fx_{field}_{period}") and first:
            st.session_state[f"fx_{field}_{period}"] = first[field]
    c1, c2, c3 = st.columns(3)
    c1.text_input("From", key=f"fx_from_{period}")
    c2.text_input("To", key=f"fx_to_{period}")
    c3.text_input("Rate (units of To per one From)", key=f"fx_rate_{period}")
    st.button("Save rate", key="fx_save", type="primary", on_click=_set_rate,
              args=(username, period))
    if view["rates"]:
        pairs = {f"{r['from']}->{r['to']}": f"{r['from']} → {r['to']}" for r in view["rates"]}
        pick = _select("Rate to remove", list(pairs), pairs, key=f"fx_remove_pick_{period}")
        st.button("Remove rate", key="fx_remove", on_click=_remove_rate,
                  args=(username, period, pick))


def _set_rate(username: str, period: date) -> None:
    from_ccy = (_value(f"fx_from_{period}", "") or "").upper()
    to_ccy = (_value(f"fx_to_{period}", "") or "").upper()
    rate = _value(f"fx_rate_{period}", "")
    _apply(username, lambda con, scope: fx.set_rate(con, scope, period, from_ccy, to_ccy, rate),
           f"{from_ccy}->{to_ccy} of {period:%Y-%m} set to {rate}.")


def _remove_rate(username: str, period: date, pair: str | None) -> None:
    pair = _value(f"fx_remove_pick_{period}") or pair or ""
    from_ccy, _, to_ccy = pair.partition("->")
    _apply(username, lambda con, scope: fx.remove_rate(con, scope, period, from_ccy, to_ccy),
           f"{from_ccy}->{to_ccy} of {period:%Y-%m} removed.")
