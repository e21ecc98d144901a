"""Budgets and their alerts, the write side (issue #12, item 4; docs/config.md "budgets").

- `may_set_budgets(con, scope, customer_id)`: who may set a customer's budgets: the customer's own
  administrators, its seller's administrators and the account managers the customer is assigned to.
- `save_budgets(con, scope, customer_id, text)`: replace one customer's budgets from YAML text (a
  list of {amount, currency?, sub_account?, tag_key?, tag_value?}); the whole configuration is
  validated again and stored as a new version through the configuration's own path
  (data.config.storage), with an audit entry holding that customer's budgets before and after,
  under the seller (whose administrators read it; the root's too).
- `evaluate_alerts(con, period, settings=...)`: each budget's status for the period; crossing 50 %,
  80 %, 100 % or a forecast above the budget raises an alert once per threshold per budget per
  month (budget_alerts' primary key), and the customer's billing contact gets one e-mail listing
  the alerts not e-mailed yet (never the same alert twice).
- A billing run evaluates them after it commits (data/alerts.py `after_run`); it never fails
  the run, it logs.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any

import duckdb
import yaml

from data.audit import record_audit
from data.config.errors import ConfigError, ConfigIssue, format_path
from data.config.storage import _replace_config, current_config
from data.config.validate import _validate_data
from data.config.yamltext import _load_yaml
from data.documents.common import amount_text, period_text
from data.documents.mail import DeliveryError, MailSettings, send_invoice
from data.store import transaction
from queries import run
from queries.scope import Scope, ScopeError, edge, subtree

log = logging.getLogger("tierline.budgets")

SETTER = "budget-alerts"            # who the alerts' evaluation reads as (the seller's view)
BUDGET_FIELDS = ("amount", "currency", "sub_account", "tag_key", "tag_value")


def may_set_budgets(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> bool:
    """The customer's own administrators, its seller's administrators, and account managers of the
    seller the customer is assigned to. (A customer organisation's users have role customer only
    today, docs/config.md: then its seller's people set its budgets.)"""
    try:
        on = edge(con, scope, customer_id)
    except ScopeError:
        return False
    if on.buyer_org.kind != "customer":
        return False
    if on.own:
        return scope.has_role("admin")
    if scope.has_role("admin"):
        return True
    return scope.has_role("account_manager") and on.buyer in (scope.customers or ())


def budgets_text(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> str:
    """The customer's budgets as the YAML list the Budgets page edits (without the customer id,
    which is the page's). ScopeError when the user may not see the customer."""
    on = edge(con, scope, customer_id)
    doc = current_config(con)
    mine = [{k: v for k, v in b.items() if k != "customer"}
            for b in (doc.to_data().get("budgets", []) if doc else []) if b["customer"] == on.buyer]
    if not mine:
        return ""
    return yaml.safe_dump(mine, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def _parse(text: str, customer_id: str) -> tuple[list[dict], dict]:
    if not isinstance(text, str):
        raise ConfigError([ConfigIssue("budgets", "", "the budgets must be YAML text")])
    data, lines, issues = _load_yaml(text, "budgets")
    if issues:
        raise ConfigError(issues)
    if data is None:
        return [], lines
    if not isinstance(data, list) or not all(isinstance(b, dict) for b in data):
        raise ConfigError([ConfigIssue("budgets", "", "the budgets are a list of {amount, currency?, "
                                       "sub_account?, tag_key?, tag_value?}; allowed: - {amount: \"5000.00\"}")])
    items = []
    for i, b in enumerate(data):
        given = b.get("customer", customer_id)
        if given != customer_id:
            raise ConfigError([ConfigIssue("budgets", format_path((i, "customer")),
                                           f"these are the budgets of {customer_id}; allowed: "
                                           f"{customer_id} (or leave customer out)", lines.get((i, "customer")))])
        items.append({"customer": customer_id, **{k: v for k, v in b.items() if k != "customer"}})
    return items, lines


def save_budgets(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, text: str) -> int:
    """Replace customer_id's budgets with the YAML list in `text` (empty: no budgets) and return
    the new configuration version. ScopeError when the user may not set them; ConfigError (every
    problem, each about these budgets only, with its line) when they are invalid."""
    if not may_set_budgets(con, scope, customer_id):
        raise ScopeError("Budgets are set by the customer's administrators, its account manager or "
                         "its seller's administrators.")
    doc = current_config(con)
    if doc is None:
        raise ConfigError([ConfigIssue("store", "", "no configuration has been imported yet")])
    items, lines = _parse(text, customer_id)
    data = doc.to_data()
    everyone = data.get("budgets", [])
    before = [b for b in everyone if b["customer"] == customer_id]
    others = [b for b in everyone if b["customer"] != customer_id]
    data["budgets"] = others + items
    offset = len(others)
    try:
        new_doc = _validate_data(data, {("budgets", offset + path[0], *path[1:]): n
                                        for path, n in lines.items() if path}, [], "budgets")
    except ConfigError as exc:
        raise ConfigError(_own_issues(exc.issues, offset)) from None
    after = [b for b in new_doc.to_data().get("budgets", []) if b["customer"] == customer_id]
    seller = edge(con, scope, customer_id).seller

    def audit(con: duckdb.DuckDBPyConnection, *, version: int, previous: str | None, doc, imported_by: str) -> None:
        record_audit(con, username=scope.username, org=seller, action="config_change",
                     target=f"budgets {customer_id}", before=before, after=after,
                     detail=f"config v{version}: budgets of {customer_id} "
                            + ("saved unchanged" if before == after else "changed"))

    return _replace_config(con, new_doc, imported_by=scope.username, audit=audit)


def _own_issues(issues: list[ConfigIssue], offset: int) -> list[ConfigIssue]:
    """The document's issues told as the edited list's own (`budgets[3].amount` → `[1].amount`);
    an issue anywhere else is one sentence without details (it may name other tenants)."""
    own, elsewhere = [], False
    for issue in issues:
        head, _, rest = issue.path.partition("]")
        if head.startswith("budgets[") and head[8:].isdigit() and int(head[8:]) >= offset:
            own.append(ConfigIssue("budgets", f"[{int(head[8:]) - offset}]{rest}",
                                   issue.message, issue.line))
        else:
            elsewhere = True
    if elsewhere:
        own.append(ConfigIssue("budgets", "", "the configuration in force has a problem elsewhere, so "
                               "no budget can be saved now; allowed: ask the administrators of the "
                               "organisation running Tierline"))
    return own


# ------------------------------------------------------------------------------------------------
# Alerts

def _seller_scope(con: duckdb.DuckDBPyConnection, seller: str) -> Scope:
    """The seller's administrators' view: the evaluation reads each customer's month exactly as
    its seller sees it, through the scoped layer (the root's view never reaches a reseller's
    customers)."""
    return Scope(username=SETTER, org_id=seller, roles=frozenset({"admin"}),
                 visible_orgs=subtree(con, seller))


def _message(name: str, seller_name: str, period: date, alerts: list[tuple]) -> tuple[str, str]:
    from queries.reports.budgets import alert_text, budget_label

    month = period_text(period)
    lines = []
    for key, threshold, amount, actual, forecast, ccy in alerts:
        sub = key.split(":", 1)[1] if key.startswith("sub_account:") else None
        tag = key.split(":", 1)[1].split("=", 1) if key.startswith("tag:") else (None, None)
        what = budget_label(sub, tag[0], tag[1])
        line = (f"- {what}: {alert_text(threshold)} — {amount_text(actual, ccy, code=True)} of "
                f"{amount_text(amount, ccy, code=True)}")
        if threshold == "forecast" and forecast is not None:
            line += f"; forecast {amount_text(forecast, ccy, code=True)}"
        lines.append(line)
    subject = f"Budget alert for {name}, {month}"
    body = (f"Dear {name},\n\nyour cloud spend for {month} (month to date, at your prices, before "
            f"tax) has reached these budget thresholds:\n\n" + "\n".join(lines)
            + f"\n\nThe Budgets page of the portal shows where the month is going.\n\n"
              f"Kind regards,\n{seller_name}\n")
    return subject, body


def evaluate_alerts(con: duckdb.DuckDBPyConnection, period: Any, *,
                    settings: MailSettings | None = None) -> list[dict]:
    """Raise the period's new budget alerts and e-mail them; return the alerts raised now:
    [{customer, key, threshold, emailed_to, email_error}]. An alert already raised this month is
    never raised (nor e-mailed) again. Without `settings` (no mail server configured) alerts are
    raised and shown in the app, and e-mailed by a later evaluation once a server is set."""
    from data.config import buyer_party, seller_branding
    from pricing.periods import parse_period
    from queries.reports.budgets import budget_status

    p = parse_period(period)
    customers = [c for (c,) in run(con, "cfg_budget_customers")]
    doc = current_config(con) if customers else None      # no budgets: nothing to read
    if doc is None:
        return []
    orgs = {o.id: o for o in doc.organizations_all()}
    raised: list[dict] = []
    for customer in customers:
        org = orgs.get(customer)
        if org is None or org.parent is None:
            continue
        try:
            status = budget_status(con, _seller_scope(con, org.parent), customer, p)
        except Exception:          # one customer's problem never keeps the others' alerts back
            log.exception("budget alerts of %s for %s could not be evaluated", customer, p)
            continue
        new: list[dict] = []
        with transaction(con):
            for b in status:
                for threshold in b["alerts"]:
                    if run(con, "cfg_budget_alert_insert", {
                            "period": p, "customer": customer, "budget_key": b["key"],
                            "threshold": threshold, "amount": str(b["amount"]), "actual": str(b["actual"]),
                            "forecast": None if b["forecast"] is None else str(b["forecast"]),
                            "currency": b["currency"]}):
                        new.append({"customer": customer, "key": b["key"], "threshold": threshold,
                                    "emailed_to": None, "email_error": None})
        raised += new
        party = buyer_party(doc, customer)
        unsent = run(con, "cfg_budget_alerts_unsent", {"period": p, "customer": customer})
        if not unsent or settings is None or not party.billing_email:
            continue
        subject, body = _message(party.name, seller_branding(doc, org.parent).display_name, p, unsent)
        error = None
        try:
            send_invoice(settings, party.billing_email, subject, body)
        except (DeliveryError, ValueError) as exc:
            error = str(exc)
        with transaction(con):
            run(con, "cfg_budget_alert_emailed", {"period": p, "customer": customer,
                                                  "to": party.billing_email, "sent": error is None,
                                                  "error": error})
        for alert in new:
            alert.update(emailed_to=party.billing_email, email_error=error)
    return raised
