"""Account mappings in the admin console (docs/console.md "Account mappings"): which provider
accounts and tags bill to which customer, changed by an admin within its own subtree.

- The root's admins see the period's unmapped sub-accounts and billing accounts with their cost,
  largest first (queries/reports/admin.py `unassigned`, minus the accounts mapped since the run),
  and map one or many to a customer in one change.
- Every admin sees the mappings of its subtree's customers, re-assigns them among its own
  customers, adds tag rules and dated mappings (from / to, `to` exclusive) for an account that
  changes customers mid-month.

A mapping has no id: it is named by its content (the dict `mappings` returns). Every change is one
`edit_document` call. A mapping that claims an account (or tag value) another mapping claims for
overlapping dates is refused before validation with a sentence naming the account and the dates
(cross_checks' own `_overlap` decides), and nothing is saved."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from data.config.cross_checks import _overlap
from data.console.document import edit_document, orgs_by_id, refuse, subtree_of
from pricing.periods import parse_period

if TYPE_CHECKING:
    import duckdb

    from queries.scope import Scope

MAPPING_KEYS = ("provider", "sub_account_id", "billing_account_id", "tag", "value", "customer",
                "from", "to")


def _require_admin(scope: Scope) -> None:
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator can see and change account mappings.")


def _document(con: duckdb.DuckDBPyConnection) -> dict:
    from data.config.storage import current_config_data

    return current_config_data(con) or {}


def _active(org: dict) -> bool:
    return org.get("active", True) not in (False, "false")


def customers(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """The active customers of the admin's subtree ({id, name, parent, currency}), by name: the
    organisations a mapping may route rows to from this console."""
    _require_admin(scope)
    data = _document(con)
    mine = subtree_of(data, scope.org_id)
    found = [o for oid, o in orgs_by_id(data).items()
             if oid in mine and o.get("kind") == "customer" and _active(o)]
    return [{"id": o["id"], "name": o.get("name") or o["id"], "parent": o.get("parent"),
             "currency": o.get("currency")} for o in sorted(found, key=lambda o: o["name"].lower())]


def mappings(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """The mappings whose customer is in the admin's subtree, as document items (their content
    names them), with `kind` (sub_account, billing_account or tag) and `customer_name`."""
    _require_admin(scope)
    data = _document(con)
    mine = subtree_of(data, scope.org_id)
    names = {oid: o.get("name") or oid for oid, o in orgs_by_id(data).items()}
    out = []
    for m in data.get("account_mappings") or []:
        if m.get("customer") in mine:
            out.append({**m, "kind": _kind(m), "customer_name": names.get(m["customer"], m["customer"])})
    return out


def _kind(m: dict) -> str:
    return "tag" if m.get("tag") is not None else (
        "sub_account" if m.get("sub_account_id") is not None else "billing_account")


def _key(m: dict) -> tuple[str, ...]:
    """What a mapping claims (models.MappingSpec.key, on document data)."""
    if m.get("tag") is not None:
        return ("tag", m["tag"], m.get("value") or "")
    if m.get("sub_account_id") is not None:
        return ("sub_account", m.get("provider") or "", m["sub_account_id"])
    return ("billing_account", m.get("provider") or "", m.get("billing_account_id") or "")


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise refuse(field, f"{value!r} is not a date; allowed: YYYY-MM-DD") from None


def _what(m: dict) -> str:
    kind = _kind(m)
    if kind == "tag":
        return f"tag {m['tag']}={m.get('value')}"
    if kind == "sub_account":
        return f"{m.get('provider')} sub-account {m['sub_account_id']}"
    return f"{m.get('provider')} billing account {m.get('billing_account_id')}"


def _dates(m: dict) -> str:
    start, end = m.get("from"), m.get("to")
    if not start and not end:
        return "for all dates"
    return f"from {start or 'the start'} to {end or 'no end'}"


def _clean(m: dict) -> dict:
    """A mapping item as the document writes it: only its keys, dates as text, no empty values."""
    out = {}
    for key in MAPPING_KEYS:
        value = m.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            out[key] = value
    return out


def _check_overlaps(data: dict, new_items: list[dict], visible: frozenset[str]) -> None:
    """A sentence for the first new item that claims what another mapping claims for
    overlapping dates (the other's customer named only when the admin may see it)."""
    others = list(data.get("account_mappings") or [])
    for m in new_items:
        lo, hi = _date(m.get("from"), "from"), _date(m.get("to"), "to")
        if lo and hi and hi <= lo:
            raise refuse("to", f"{hi} is not after from {lo}; allowed: a date after 'from' "
                         "(to is exclusive)")
        for other in others:
            if other is m or _key(other) != _key(m):
                continue
            if _overlap(lo, hi, _date(other.get("from"), "from"), _date(other.get("to"), "to")):
                who = other.get("customer") if other.get("customer") in visible else "another organisation"
                raise refuse("account", f"{_what(m)} {_dates(m)} is already mapped to {who!r} "
                             f"{_dates(other)}; allowed: dates that do not overlap (end the other "
                             "mapping with 'to', or start this one with 'from')")


def _customer(data: dict, scope: Scope, customer: Any) -> None:
    """ScopeError for a customer outside the admin's subtree; a sentence for an inactive one."""
    from queries.scope import ScopeError

    mine = subtree_of(data, scope.org_id)
    if not isinstance(customer, str) or customer not in mine:
        raise ScopeError(f"You can only map accounts to customers within your own "
                         f"organisation's subtree; {customer!r} is not one of them.")
    org = orgs_by_id(data).get(customer) or {}
    if not _active(org):
        raise refuse("customer", f"{customer!r} is deactivated; allowed: an active customer")


def add(con: duckdb.DuckDBPyConnection, scope: Scope, items: list[dict]) -> int:
    """Add mappings ({provider, sub_account_id | billing_account_id, customer, from?, to?} or
    {tag, value, customer, from?, to?}) in one change; return the new version."""
    _require_admin(scope)
    new = [_clean(m) for m in items]
    if not new:
        raise refuse("accounts", "no account chosen; allowed: one or more accounts")

    def change(data: dict) -> None:
        mine = subtree_of(data, scope.org_id)
        for m in new:
            _customer(data, scope, m.get("customer"))
        data.setdefault("account_mappings", []).extend(new)
        _check_overlaps(data, new, mine)

    names = "; ".join(f"{_what(m)} to {m.get('customer')}" for m in new[:5])
    return edit_document(con, scope, change, what=f"mapped {names}" + (" …" if len(new) > 5 else ""))


def assign_unmapped(con: duckdb.DuckDBPyConnection, scope: Scope, accounts: list[dict],
                    customer: str) -> int:
    """Map unmapped accounts (as `unmapped` lists them: provider, sub_account_id or
    billing_account_id) to `customer` for all dates, in one change."""
    items = []
    for a in accounts:
        m = {"provider": a.get("provider"), "customer": customer}
        if a.get("sub_account_id"):
            m["sub_account_id"] = a["sub_account_id"]
        else:
            m["billing_account_id"] = a.get("billing_account_id")
        items.append(m)
    return add(con, scope, items)


def _index_of(data: dict, scope: Scope, mapping: dict) -> int:
    """The position of `mapping` (by content) among the mappings the admin may change."""
    from queries.scope import ScopeError

    wanted = _clean(mapping)
    mine = subtree_of(data, scope.org_id)
    for n, m in enumerate(data.get("account_mappings") or []):
        if _clean(m) == wanted:
            if m.get("customer") not in mine:
                break
            return n
    raise ScopeError("That mapping is not one of your customers' mappings (it may have changed "
                     "since the page was drawn); reload the page.")


def reassign(con: duckdb.DuckDBPyConnection, scope: Scope, mapping: dict, customer: str) -> int:
    """Route the rows of an existing mapping to another customer of the subtree."""
    def change(data: dict) -> None:
        n = _index_of(data, scope, mapping)
        _customer(data, scope, customer)
        if data["account_mappings"][n]["customer"] == customer:
            raise refuse("customer", f"{customer!r} is already this mapping's customer")
        data["account_mappings"][n]["customer"] = customer

    return edit_document(con, scope, change, what=f"{_what(mapping)} re-assigned to {customer}")


def hand_over(con: duckdb.DuckDBPyConnection, scope: Scope, mapping: dict, customer: str,
              on: dt.date | str) -> int:
    """An account changing customers mid-month: the existing mapping ends on `on` (exclusive)
    and a new one to `customer` starts that day, keeping the old one's own end."""
    day = _date(on, "from")
    if day is None:
        raise refuse("from", "the date the new customer takes over is required; allowed: YYYY-MM-DD")

    def change(data: dict) -> None:
        n = _index_of(data, scope, mapping)
        _customer(data, scope, customer)
        old = data["account_mappings"][n]
        lo, hi = _date(old.get("from"), "from"), _date(old.get("to"), "to")
        if (lo and day <= lo) or (hi and day >= hi):
            raise refuse("from", f"{day} is not inside the mapping's dates ({_dates(old)}); "
                         "allowed: a day after its start and before its end")
        new = {**{k: v for k, v in old.items() if k not in ("customer", "from")},
               "customer": customer, "from": day.isoformat()}
        old["to"] = day.isoformat()
        data["account_mappings"].insert(n + 1, _clean(new))
        _check_overlaps(data, [data["account_mappings"][n + 1]], subtree_of(data, scope.org_id))

    return edit_document(con, scope, change,
                         what=f"{_what(mapping)} handed over to {customer} from {day}")


def remove(con: duckdb.DuckDBPyConnection, scope: Scope, mapping: dict) -> int:
    """Delete one mapping of the subtree (its rows become unassigned from the next run)."""
    def change(data: dict) -> None:
        n = _index_of(data, scope, mapping)
        del data["account_mappings"][n]

    return edit_document(con, scope, change, what=f"mapping of {_what(mapping)} removed")


def _covers(m: dict, start: dt.date, end: dt.date) -> bool:
    return _overlap(_date(m.get("from"), "from"), _date(m.get("to"), "to"), start, end)


def unmapped(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """The period's unassigned cost per account (root admins only, as `unassigned` checks),
    largest first, without the accounts mapped since the run: [{provider, billing_account_id,
    sub_account_id, currency, rows, cost (Decimal)}]. A sub-account with an id is mapped by
    sub-account; one without, by its billing account."""
    from queries.reports.admin import unassigned

    _require_admin(scope)
    frame = unassigned(con, scope, period)
    start = parse_period(period)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    data = _document(con)
    mapped = {_key(m) for m in data.get("account_mappings") or [] if _covers(m, start, end)}
    out = []
    for r in frame.to_dict("records"):
        sub = r["SubAccountId"] if isinstance(r["SubAccountId"], str) and r["SubAccountId"] else None
        if ("sub_account", r["ProviderName"], sub or "") in mapped \
                or ("billing_account", r["ProviderName"], r["BillingAccountId"]) in mapped:
            continue
        out.append({"provider": r["ProviderName"], "billing_account_id": r["BillingAccountId"],
                    "sub_account_id": sub, "currency": r["BillingCurrency"], "rows": int(r["rows"]),
                    "cost": r["BilledCost"] if isinstance(r["BilledCost"], Decimal)
                    else Decimal(str(r["BilledCost"]))})
    return out
