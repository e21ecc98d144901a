"""The admin console's one write path: `edit_document` changes items of the configuration
document exactly as `config import` would take them, on behalf of a signed-in admin.

API (stable; data/console/users.py, audit.py and the sections of this package import it):

    edit_document(con, scope, change, *, what, root_only=False, source="console") -> int

- `change(data)` receives the current document as plain data (`current_config(con).to_data()`:
  every value as the YAML loader gives it, money as strings) and edits it IN PLACE: append,
  replace or remove items of `organizations`, `account_mappings`, `fx_rates`, `users`, `plans`,
  `budgets` (or `root`, root admins only). It may raise `ConfigError` (via `refuse(field, text)`)
  or `ScopeError` for a request it can tell is wrong before validation.
- The changed items are found by comparing the sections before and after (paired by their key:
  organisation `id`, user `username`, plan `id`, FX rate (period, from, to); mappings and budgets
  by content). Nothing changed: ConfigError "nothing to save".
- Scope (ScopeError, nothing saved): the user must have the role admin; every organisation a
  changed item touches — before the change and after it — must be in the admin's own subtree
  (queries/scope.py `subtree`, recomputed on the new document for the "after" side, so a new
  customer under one of the admin's organisations is in it): organisations (`id`, and `parent`
  when it changes), mappings and budgets (`customer`), users (`org` and `customers`), plans
  (`owner`). FX rates and `root` touch every tenant: only admins of the root may change them
  (also `root_only=True` for any other change reserved to the root).
- Validation: the WHOLE document goes through `data.config.validate._validate_data`, the path of
  `config import`, then `_replace_config` stores it in one transaction (locked FX rates kept).
  Problems are told about the changed items only (`organizations[acme].parent: ...`, never a
  position in the document nor another tenant's id); a problem the change causes on an item the
  admin cannot see is one sentence without details.
- Audit: one `config_change` entry per changed item, before/after of that item only, under the
  admin's organisation, with `what` (a short sentence such as "organisation acme renamed") in
  its detail; password hashes never enter it (data.audit.redact).
- Returns the new configuration version (cached reads are keyed by it).

Helpers for `change` functions: `refuse(field, message)` raises a one-issue ConfigError;
`find(data, section, key)` returns the index of an item or refuses naming the value;
`subtree_of(data, org)` is the organisation ids at and below `org` in document data;
`orgs_by_id(data)` is every organisation (root first) as document data keyed by id.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from data.audit import record_audit
from data.config.errors import ConfigError, ConfigIssue, parse_path
from data.config.models import ConfigDocument
from data.config.storage import _replace_config, current_config
from data.config.validate import _validate_data

if TYPE_CHECKING:
    import duckdb

    from queries.scope import Scope

# How the items of each list section are paired before/after (None: by their whole content).
KEYS: dict[str, Callable[[dict], Any] | None] = {
    "organizations": lambda item: item.get("id"),
    "users": lambda item: item.get("username"),
    "plans": lambda item: item.get("id"),
    "fx_rates": lambda item: (item.get("period"), item.get("from"), item.get("to")),
    "account_mappings": None,
    "budgets": None,
}
ROOT_ONLY_SECTIONS = frozenset({"root", "fx_rates"})


def refuse(field: str, message: str) -> ConfigError:
    """A one-issue ConfigError about `field` (raise it): the console's sentence for a bad value."""
    return ConfigError([ConfigIssue("console", field, message)])


def orgs_by_id(data: dict) -> dict[str, dict]:
    """Every organisation of document data, the root first (with `parent` None), by id."""
    out: dict[str, dict] = {}
    root = data.get("root")
    if isinstance(root, dict) and root.get("id"):
        out[root["id"]] = {**root, "parent": None}
    for org in data.get("organizations") or []:
        if isinstance(org, dict) and org.get("id"):
            out.setdefault(org["id"], org)
    return out


def subtree_of(data: dict, org: str) -> frozenset[str]:
    """`org` and every organisation below it in document data (a cycle stops the walk)."""
    children: dict[str, list[str]] = {}
    for oid, item in orgs_by_id(data).items():
        if item.get("parent"):
            children.setdefault(item["parent"], []).append(oid)
    seen: set[str] = set()
    todo = [org]
    while todo:
        oid = todo.pop()
        if oid in seen:
            continue
        seen.add(oid)
        todo.extend(children.get(oid, []))
    return frozenset(seen)


def find(data: dict, section: str, key: Any, *, field: str | None = None) -> int:
    """The index of the item of `section` whose key (KEYS) is `key`; a sentence otherwise."""
    pair = KEYS[section]
    for n, item in enumerate(data.get(section) or []):
        if pair is not None and pair(item) == key:
            return n
    raise refuse(field or section, f"{key!r} is not configured; allowed: one of the items listed")


def _label(section: str, item: dict) -> str:
    """The item in words, as issues and audit targets name it."""
    if section == "organizations":
        return f"organisation {item.get('id')}"
    if section == "users":
        return f"user {item.get('username')}"
    if section == "plans":
        return f"plan {item.get('id')}"
    if section == "fx_rates":
        return f"FX rate {item.get('period')} {item.get('from')}->{item.get('to')}"
    if section == "account_mappings":
        if item.get("tag") is not None:
            what = f"tag {item.get('tag')}={item.get('value')}"
        elif item.get("sub_account_id") is not None:
            what = f"{item.get('provider')} sub-account {item.get('sub_account_id')}"
        else:
            what = f"{item.get('provider')} billing account {item.get('billing_account_id')}"
        dates = ""
        if item.get("from") or item.get("to"):
            dates = f" from {item.get('from') or 'the start'} to {item.get('to') or 'open end'}"
        return f"mapping of {what} to {item.get('customer')}{dates}"
    if section == "budgets":
        return f"budget of {item.get('customer')}"
    return section


def _touched_orgs(section: str, before: dict | None, after: dict | None, own: dict | None) -> set[str]:
    """The organisations one side (`own`) of a changed item touches (see the module doc)."""
    if own is None:
        return set()
    if section == "organizations":
        out = {own.get("id")}
        if before is None or after is None or before.get("parent") != after.get("parent"):
            out.add(own.get("parent"))
        return {o for o in out if o}
    if section in ("account_mappings", "budgets"):
        return {own.get("customer")} - {None}
    if section == "users":
        return ({own.get("org")} | set(own.get("customers") or ())) - {None}
    if section == "plans":
        return {own.get("owner")} - {None}
    return set()


def _changes(before: dict, after: dict) -> list[tuple[str, int | None, dict | None, dict | None]]:
    """(section, index in `after` or None, item before, item after) of every changed item."""
    out: list[tuple[str, int | None, dict | None, dict | None]] = []
    if before.get("root") != after.get("root"):
        out.append(("root", None, before.get("root"), after.get("root")))
    for section, pair in KEYS.items():
        old = list(before.get(section) or [])
        new = list(after.get(section) or [])
        if pair is None:
            remaining = list(old)
            added = []
            for n, item in enumerate(new):
                if item in remaining:
                    remaining.remove(item)
                else:
                    added.append((n, item))
            for n, item in added:
                # a re-assigned or re-dated mapping is one change of the account it claims
                twin = next((r for r in remaining if _claim(section, r) == _claim(section, item)), None)
                if twin is not None:
                    remaining.remove(twin)
                out.append((section, n, twin, item))
            out += [(section, None, item, None) for item in remaining]
            continue
        old_by = {pair(i): i for i in old}
        new_keys = set()
        for n, item in enumerate(new):
            k = pair(item)
            new_keys.add(k)
            if old_by.get(k) != item:
                out.append((section, n, old_by.get(k), item))
        out += [(section, None, item, None) for k, item in old_by.items() if k not in new_keys]
    return out


def _claim(section: str, item: dict) -> tuple:
    """What an item without an id stands for: a mapping's account or tag value, a budget's
    customer and cover (its dates, customer or amount may change)."""
    if section == "budgets":
        return tuple(item.get(k) for k in ("customer", "sub_account", "tag_key", "tag_value"))
    return tuple(item.get(k) for k in ("provider", "sub_account_id", "billing_account_id", "tag",
                                       "value"))


def _is_root_admin(data: dict, scope: Scope) -> bool:
    root = data.get("root") or {}
    return scope.has_role("admin") and root.get("id") == scope.org_id


def edit_document(con: duckdb.DuckDBPyConnection, scope: Scope,
                  change: Callable[[dict], None], *, what: str, root_only: bool = False,
                  source: str = "console") -> int:
    """Apply `change` to the configuration document as `scope`'s admin, validate the whole
    document as `config import` does, store it in one transaction and audit the changed items;
    return the new version. ScopeError / ConfigError (sentences) and nothing saved otherwise.
    See the module docstring for the contract."""
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator can change the configuration.")
    doc = current_config(con)
    if doc is None:
        raise refuse("store", "no configuration has been imported yet; allowed: "
                     "python cli.py config import FILE first")
    before = doc.to_data()
    data = copy.deepcopy(before)
    root_admin = _is_root_admin(before, scope)
    if root_only and not root_admin:
        raise ScopeError("Only an administrator of the organisation running Tierline can make "
                         "this change.")
    change(data)
    changes = _changes(before, data)
    if not changes:
        raise refuse("(change)", "nothing to save: the configuration already says this")
    old_tree = subtree_of(before, scope.org_id)
    new_tree = subtree_of(data, scope.org_id)
    for section, _n, old, new in changes:
        if section in ROOT_ONLY_SECTIONS and not root_admin:
            raise ScopeError("Only an administrator of the organisation running Tierline can "
                             f"change {'FX rates' if section == 'fx_rates' else 'the root'}.")
        if not (_touched_orgs(section, old, new, old) <= old_tree
                and _touched_orgs(section, old, new, new) <= new_tree):
            raise ScopeError("You can only change organisations, mappings and users within "
                             "your own organisation's subtree.")
    try:
        new_doc = _validate_data(data, {}, [], source)
    except ConfigError as exc:
        raise ConfigError(_own_issues(exc.issues, data, changes, new_tree)) from None

    stored = new_doc.to_data()

    def audit(con: duckdb.DuckDBPyConnection, *, version: int, previous: str | None,
              doc: ConfigDocument, imported_by: str) -> None:
        for section, n, old, new in changes:
            after = stored["root"] if section == "root" else (
                stored[section][n] if n is not None else None)
            item = new if new is not None else old
            state = "added" if old is None else "removed" if new is None else "changed"
            record_audit(con, username=scope.username, org=scope.org_id, action="config_change",
                         target=_label(section, item), before=old, after=after,
                         detail=f"config v{version}: {what} ({_label(section, item)} {state})")

    return _replace_config(con, new_doc, imported_by=scope.username, audit=audit)


_POSITION = re.compile(r"\b(organizations|account_mappings|plans|fx_rates|users|budgets)\[(\d+)\]")
_QUOTED = re.compile(r"'([^']*)'")


def _own_issues(issues: list[ConfigIssue], data: dict, changes: list, tree: frozenset[str]
                ) -> list[ConfigIssue]:
    """The whole document's issues told as the changed items' own: `account_mappings[7].to`
    becomes `mapping of AWS sub-account 1234 to acme.to`, a position named inside a message
    becomes "another <item>", and an organisation id outside the admin's subtree is not named.
    Issues on the changed items come first and alone; an issue only on an item the admin cannot
    see: one sentence, no details."""
    labels: dict[tuple[str, int], str] = {}
    for section, n, _old, new in changes:
        if n is not None and new is not None:
            labels[(section, n)] = _label(section, new)
    known = set(orgs_by_id(data))

    def clean(message: str) -> str:
        message = _POSITION.sub(lambda m: labels.get((m.group(1), int(m.group(2))),
                                                     "another " + _singular(m.group(1))), message)
        return _QUOTED.sub(lambda m: m.group(0) if m.group(1) in tree or m.group(1) not in known
                           else "another organisation", message)

    own: list[ConfigIssue] = []
    nearby: list[ConfigIssue] = []        # on other items the admin may see (often consequences)
    for issue in issues:
        path = parse_path(issue.path)
        if path[:1] == ("root",) and ("root", None) in {(s, n) for s, n, _o, _a in changes}:
            own.append(ConfigIssue("console", issue.path, clean(issue.message)))
            continue
        if len(path) >= 2 and isinstance(path[1], int) and (path[0], path[1]) in labels:
            rest = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path[2:])
            field = labels[(path[0], path[1])] + (f": {rest}" if rest else "")
            own.append(ConfigIssue("console", field, clean(issue.message)))
            continue
        item = _item_at(data, path)
        section = path[0] if path else ""
        if item is not None and _touched_orgs(str(section), item, item, item) <= tree:
            field = _label(str(section), item)
            rest = ".".join(str(p) for p in path[2:])
            nearby.append(ConfigIssue("console", field + (f": {rest}" if rest else ""),
                                      clean(issue.message)))
    # An issue on the changed item is the one to fix (others often follow from it); else what
    # the change broke on the admin's own items; else something the admin cannot see: no details.
    return own or nearby or [ConfigIssue(
        "console", "(change)", "this change conflicts with the configuration outside your "
        "organisation's subtree, so it cannot be saved; allowed: ask the administrators of the "
        "organisation running Tierline")]


def _item_at(data: dict, path: tuple) -> dict | None:
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        items = data.get(path[0])
        if isinstance(items, list) and 0 <= path[1] < len(items) and isinstance(items[path[1]], dict):
            return items[path[1]]
    return None


def _singular(section: str) -> str:
    return {"organizations": "organisation", "account_mappings": "mapping", "plans": "plan",
            "fx_rates": "FX rate", "users": "user", "budgets": "budget"}[section]

