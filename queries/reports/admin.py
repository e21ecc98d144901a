"""What the people running an organisation read: reconciliation against the providers'
invoices, cost nobody is billed for and the deliveries (the root's admins and leaders only), and
the audit log of an admin's subtree.

Reading the audit log checks every entry again against its reader (`_audit_readable`) and
removes password hashes with the writer's own `data.audit.redact`, so an entry recorded in the
wrong place, or before the writer redacted, still shows nobody more than they may see.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

import duckdb
import pandas as pd

from data.audit import redact, redact_text
from pricing.money import round_to_total
from queries import sql
from queries.reports.common import check_limit, money_text, records
from queries.scope import FULL_ROLES, Scope, ScopeError, check_period, own_org, require_root, subtree

# --------------------------------------------------------------------------------------------
# Root-only: reconciliation, unassigned cost, deliveries


def reconciliation(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> list[dict]:
    """Each provider invoice of the period against the billing run (root admins and leaders):
    [{provider, invoice_id, billing_account_id, currency, provider_total, assigned, unassigned,
    retained_credits, provider_tax, difference}] as strings; difference must be 0.00.
    One entry per provider invoice (billing account and InvoiceId; per billing account where
    the provider sends no InvoiceId).

    The shown figures add up as shown: provider_total is the exact total rounded once to the
    currency's minor unit, and the five terms (assigned, unassigned, retained credits, provider
    tax, difference) are rounded together by the largest-remainder method
    (pricing.money.round_to_total), so that they sum to it; rounded one by one they could miss it
    by a cent. The difference is the exact difference: 0.00 shown means 0 exactly."""
    require_root(con, scope, FULL_ROLES, "Reconciliation")
    p = check_period(con, scope, period)
    out = []
    for r in records(con.execute(sql("rpt_reconciliation"), {"period": p})):
        ccy = r["BillingCurrency"]
        total, shown = round_to_total([r[k] for k in _RECON_TERMS], ccy)
        out.append({
            "provider": r["ProviderName"], "invoice_id": r["InvoiceId"],
            "billing_account_id": r["BillingAccountId"], "currency": ccy,
            "provider_total": money_text(total, ccy),
            **{k: money_text(v, ccy) for k, v in zip(_RECON_TERMS, shown)},
        })
    return out


_RECON_TERMS = ("assigned", "unassigned", "retained_credits", "provider_tax", "difference")


def unassigned(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> pd.DataFrame:
    """Cost nobody is billed for (root admins and leaders): ProviderName, BillingAccountId,
    SubAccountId, BillingCurrency, rows, BilledCost (Decimal), largest first."""
    require_root(con, scope, FULL_ROLES, "Unassigned cost")
    p = check_period(con, scope, period)
    cols = ["ProviderName", "BillingAccountId", "SubAccountId", "BillingCurrency", "rows", "BilledCost"]
    data = [{**r, "rows": r["x_RowCount"]}
            for r in records(con.execute(sql("rpt_unassigned"), {"period": p}))]
    frame = pd.DataFrame([{c: r[c] for c in cols} for r in data], columns=cols)
    frame["BilledCost"] = frame["BilledCost"].astype(object)     # Decimal, not float
    return frame


def deliveries(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The ingested FOCUS files, newest first (root admins only)."""
    require_root(con, scope, ("admin",), "The delivery list")
    return con.execute(sql("rpt_deliveries")).df()


# --------------------------------------------------------------------------------------------
# Audit log

# Top-level keys of a whole configuration document: an entry holding one spans every tenant.
_DOCUMENT_KEYS = frozenset({"root", "organizations", "account_mappings", "fx_rates", "users"})


def audit_entries(con: duckdb.DuckDBPyConnection, scope: Scope, *, limit: int = 1000,
                  username: str | None = None, action: str | None = None,
                  target: str | None = None, logged_from: date | None = None,
                  logged_to: date | None = None) -> pd.DataFrame:
    """Audit entries of the users and organisations of the admin's subtree, newest first.
    Filters (None or blank: all; `audit_filters` checks them): who (`username`, any case), what
    (`action`, exactly), a text the `target` holds (any case), when (`logged_from` to
    `logged_to`, both days included, UTC). They narrow what the reader may see, nothing more:
    the rules below apply to every entry that passes them.
    Entries of other organisations than the admin's own keep who/when/what but not
    before/after/detail (they may show prices the admin may not see), except sign-in events.
    An entry's before/after/detail are also withheld when their content reaches beyond what the
    reader may see (`_audit_readable`): a whole configuration document (root admins only), or an
    organisation or plan outside the reader's subtree. Password hashes are never returned."""
    if not scope.has_role("admin"):
        raise ScopeError("The audit log is shown to administrators only.")
    check_limit(limit)
    filters = audit_filters(username=username, action=action, target=target,
                            logged_from=logged_from, logged_to=logged_to)
    me = own_org(con, scope)
    orgs = subtree(con, scope.org_id)
    frame = con.execute(sql("rpt_audit"), {"org": scope.org_id, "orgs": sorted(orgs),
                                           "is_root": me.is_root, "limit": limit,
                                           **filters}).df()
    owners = dict(con.execute(sql("scope_audit_ids")).fetchall())
    for i in frame.index:
        texts = [frame.at[i, c] for c in ("before", "after")]
        if not any(isinstance(t, str) for t in texts):
            continue
        values = [_loads(t) for t in texts]
        if not all(_audit_readable(v, is_root=me.is_root, visible=orgs, owners=owners) for v in values):
            frame.at[i, "before"] = frame.at[i, "after"] = frame.at[i, "detail"] = None
            continue
        for column, value in zip(("before", "after"), values):
            clean = redact(value)
            if clean != value:
                frame.at[i, column] = json.dumps(clean, ensure_ascii=False)
        if isinstance(frame.at[i, "detail"], str):
            frame.at[i, "detail"] = redact_text(frame.at[i, "detail"])
    return frame


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return None                      # NULL, as None, NaN or pd.NA depending on pandas
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _strings(value: Any) -> Iterable[str]:
    """Every text in a JSON value: mapping keys and values, list items, scalars."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _audit_readable(value: Any, *, is_root: bool, visible: frozenset[str],
                    owners: dict[str, str]) -> bool:
    """May a reader see this before/after value? A whole configuration document spans every
    tenant (and their users): the root's admins only. Otherwise every organisation or plan it
    names (`owners`: organisation id → itself, plan id → its owner) must belong to the reader's
    subtree (`visible`), so an entry never shows another tenant's terms, whichever organisation
    it was recorded under."""
    if isinstance(value, dict) and _DOCUMENT_KEYS.intersection(value) and not is_root:
        return False
    return all(owners[s] in visible for s in _strings(value) if s in owners)


def audit_actions(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    """The actions ("what") of the entries the admin may read, for the Audit log's filter. Only
    the action column leaves this function (the scoped statement decides which entries count)."""
    if not scope.has_role("admin"):
        raise ScopeError("The audit log is shown to administrators only.")
    me = own_org(con, scope)
    frame = con.execute(sql("rpt_audit"), {
        "org": scope.org_id, "orgs": sorted(subtree(con, scope.org_id)), "is_root": me.is_root,
        "limit": 1_000_000, **audit_filters()}).df()
    return sorted(str(a) for a in frame["action"].dropna().unique())


def audit_filters(*, username: Any = None, action: Any = None, target: Any = None,
                  logged_from: Any = None, logged_to: Any = None) -> dict[str, Any]:
    """rpt_audit's filter parameters from the Audit log page's values: texts trimmed (blank is
    no filter, at most 200 characters), dates as a half-open UTC range (`to` is the whole day).
    ValueError, a sentence naming the value, for anything else."""
    texts = {}
    for name, value in (("username", username), ("action", action), ("target", target)):
        if value is None:
            texts[name] = None
            continue
        if not isinstance(value, str):
            raise ValueError(f"The {name} filter must be text, not {type(value).__name__}.")
        value = value.strip()
        if len(value) > 200:
            raise ValueError(f"The {name} filter is {len(value)} characters long; at most 200.")
        texts[name] = value or None
    days = {}
    for name, value in (("from", logged_from), ("to", logged_to)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise ValueError(f"The '{name}' date must be a date (YYYY-MM-DD), not {value!r}.")
        days[name] = value
    if days["from"] and days["to"] and days["from"] > days["to"]:
        raise ValueError(f"The 'from' date {days['from']:%Y-%m-%d} is after the 'to' date "
                         f"{days['to']:%Y-%m-%d}; choose a 'from' on or before the 'to'.")
    return {
        **texts,
        "logged_from": datetime.combine(days["from"], time.min) if days["from"] else None,
        "logged_to": datetime.combine(days["to"] + timedelta(days=1), time.min) if days["to"] else None,
    }
