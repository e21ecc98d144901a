"""Plans edited by their owner: the admin pages' door to the same document. `plans_owned` lists
the plans the signed-in admin's organisation sells on; `save_plan` replaces or adds one from its
YAML text, validates the whole document again, and tells problems about that plan only (its own
paths and lines, never another tenant's items); `parse_plan_text` reads one plan as text."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from data.audit import record_audit
from data.config.errors import ConfigError, ConfigIssue, Path_, format_path
from data.config.models import ConfigDocument
from data.config.storage import _replace_config, current_config
from data.config.validate import _validate_data
from data.config.yamltext import _load_yaml

if TYPE_CHECKING:
    import duckdb

    from queries.scope import Scope


def plans_owned(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """The plans the signed-in user's organisation owns (the terms it sells on), as document
    data: only admins of the owner may read or edit them. queries.scope.ScopeError otherwise."""
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator of the organisation that owns a plan can edit it.")
    doc = current_config(con)
    if doc is None:
        return []
    return [p for p in doc.to_data().get("plans", []) if p["owner"] == scope.org_id]


def save_plan(con: duckdb.DuckDBPyConnection, scope: Scope, text: str,
              plan_id: str | None = None) -> int:
    """Replace (or add) one plan from its YAML text, as its owner's admin; return the new config
    version. `plan_id` is the plan being edited (the Plans page passes the one selected, by id):
    the text must keep that id. The plan must be owned by the user's organisation, before and
    after; the whole document is validated again and imported in one transaction. Problems are
    told about this plan only: paths inside it (`rules[0].basis`) and lines of `text`, never
    another plan or the rest of the document. The audit entry holds this plan's before and after,
    under the owner's organisation. ScopeError for someone else's plan, ConfigError for an
    invalid one."""
    from queries.scope import ScopeError

    not_yours = "You can only edit the plans your own organisation sells on."
    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator of the organisation that owns a plan can edit it.")
    doc = current_config(con)
    if doc is None:
        raise ConfigError([ConfigIssue("store", "", "no configuration has been imported yet")])
    plan_doc, lines = _plan_source(text)
    if plan_doc.get("owner") != scope.org_id:
        raise ScopeError(not_yours)
    data = doc.to_data()
    plans = data.setdefault("plans", [])
    index = next((n for n, p in enumerate(plans) if p["id"] == plan_doc.get("id")), None)
    if index is not None and plans[index]["owner"] != scope.org_id:
        raise ScopeError(not_yours)
    if plan_id is not None:
        if not any(p["id"] == plan_id and p["owner"] == scope.org_id for p in plans):
            raise ScopeError(not_yours)
        if plan_doc.get("id") != plan_id:
            raise ConfigError([ConfigIssue(
                "plan", "id", f"the id of the plan you are editing cannot change; allowed: {plan_id}",
                lines.get(("id",)))])
    if index is None:
        index, old = len(plans), None
        plans.append(plan_doc)
    else:
        old = plans[index]
        plans[index] = plan_doc
    prefix: Path_ = ("plans", index)
    try:
        new_doc = _validate_data(data, {prefix + path: n for path, n in lines.items()}, [], "plan")
    except ConfigError as exc:
        raise ConfigError(_plan_issues(exc.issues, prefix)) from None
    new_plan = new_doc.to_data()["plans"][index]

    def audit(con: duckdb.DuckDBPyConnection, *, version: int, previous: str | None,
              doc: ConfigDocument, imported_by: str) -> None:
        state = "added" if old is None else "saved unchanged" if old == new_plan else "changed"
        record_audit(con, username=scope.username, org=scope.org_id, action="config_change",
                     target=f"plan {new_plan['id']}", before=old, after=new_plan,
                     detail=f"config v{version}: plan {new_plan['id']} {state}")

    return _replace_config(con, new_doc, imported_by=scope.username, audit=audit)


def _plan_issues(issues: list[ConfigIssue], prefix: Path_) -> list[ConfigIssue]:
    """The whole document's issues told as the plan's own: `plans[3].rules[0].basis` becomes
    `rules[0].basis` (the line is already the plan text's). An issue elsewhere in the document
    cannot come from this plan's owner and may name other tenants: one sentence, no details."""
    head = format_path(prefix)
    own: list[ConfigIssue] = []
    elsewhere = False
    for issue in issues:
        if issue.path == head or issue.path.startswith((head + ".", head + "[")):
            rest = issue.path[len(head):].removeprefix(".")
            # a message may point at another position of the document ("also plans[1]")
            message = re.sub(r"\bplans\[\d+\]", "another plan", issue.message)
            own.append(ConfigIssue("plan", rest or "(plan)", message, issue.line))
        else:
            elsewhere = True
    if elsewhere:
        own.append(ConfigIssue("plan", "(plan)", "the configuration in force has a problem outside "
                               "this plan, so no plan can be saved now; allowed: ask the "
                               "administrators of the organisation running Tierline"))
    return own


def _plan_source(text: str) -> tuple[dict, dict[Path_, int]]:
    """One plan written as YAML, with numbers kept as text, and the line of each path in it."""
    raw, lines, issues = _load_yaml(text, "plan")
    if issues:
        raise ConfigError(issues)
    if not isinstance(raw, dict):
        raise ConfigError([ConfigIssue("plan", "", "a plan is a mapping with id, owner, rules …")])
    return raw, lines


def parse_plan_text(text: str) -> dict:
    """One plan written as YAML (as plans_owned shows it), with numbers kept as text."""
    return _plan_source(text)[0]
