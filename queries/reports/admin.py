"""What the people running an organisation read: reconciliation against the providers'
invoices, cost nobody is billed for and the deliveries (the root's admins and leaders only), and
the audit log of an admin's subtree.

Reading the audit log checks every entry again against its reader (`_audit_readable`) and
removes password hashes with the writer's own `data.audit.redact`, so an entry recorded in the
wrong place, or before the writer redacted, still shows nobody more than they may see.
"""
from __future__ import annotations

import json
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


def audit_entries(con: duckdb.DuckDBPyConnection, scope: Scope, *, limit: int = 1000) -> pd.DataFrame:
    """Audit entries of the users and organisations of the admin's subtree, newest first.
    Entries of other organisations than the admin's own keep who/when/what but not
    before/after/detail (they may show prices the admin may not see), except sign-in events.
    An entry's before/after/detail are also withheld when their content reaches beyond what the
    reader may see (`_audit_readable`): a whole configuration document (root admins only), or an
    organisation or plan outside the reader's subtree. Password hashes are never returned."""
    if not scope.has_role("admin"):
        raise ScopeError("The audit log is shown to administrators only.")
    check_limit(limit)
    me = own_org(con, scope)
    orgs = subtree(con, scope.org_id)
    frame = con.execute(sql("rpt_audit"), {"org": scope.org_id, "orgs": sorted(orgs),
                                           "is_root": me.is_root, "limit": limit}).df()
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
