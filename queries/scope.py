"""Who may see what: the `Scope` of the signed-in user and the checks every read makes with it.

Together with the reports in queries/reports/ (invoices, costs, margins, admin) this is THE
scoped access layer: every read of costs, invoices, margins, reconciliation, deliveries and the
audit log goes through a function that takes the user's `Scope` and checks it here first.

The scope is applied in SQL (queries/reports/rpt_*.sql, queries/auth/scope_*.sql) as bound parameters, never
by building strings. Every choice a page or the CLI passes in (customer id, sub-account, period,
invoice id) is checked against the scope on the server; a forged value raises `ScopeError`, a
`PermissionError` whose message is a sentence a page can show, and never returns data.

Visibility (DOMAIN §3, docs/access.md): a user sees money on the edges where their organisation
is the seller or the buyer, and usage (quantities, resources, list prices) for its subtree.
- admin, leader: every edge their organisation sells on, and the edge it buys on;
- account_manager: the edges their organisation sells on, to the customers assigned to them
  (`Scope.customers`; on a distributor's edges: the rows of those end customers);
- customer: only the edge their own organisation buys on, optionally only the rows of some cost
  groups (`Tags['cost_group']`).
A reseller never sees its distributor's cost (x_Cost of an edge it buys on, or anything above);
a distributor never sees the prices a reseller charges (edges below its buyers); a customer sees
its own price only, never list prices nor its reseller's cost.

The report functions are re-exported at the end of this module, so `scope.invoices(...)` and the
like keep working for the callers and tests written against the one-module layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

import duckdb

from data.roles import ROLES  # noqa: F401  (scope.ROLES: the one list, data/roles.py)
from pricing.periods import parse_period
from queries import sql

FULL_ROLES = ("admin", "leader")       # the roles that see every edge of their organisation


class ScopeError(PermissionError):
    """The signed-in user may not see what was asked for. The message is a sentence for them."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: built by `scope_for_user` (or `system_scope`), never from widget values."""

    username: str
    org_id: str
    roles: frozenset[str]
    customers: frozenset[str] | None = None    # account_manager: assigned customers
    cost_groups: frozenset[str] | None = None  # customer users: optional restriction
    visible_orgs: frozenset[str] = frozenset()  # the organisation and its subtree

    def has_role(self, *roles: str) -> bool:
        """True when the user has any of `roles`."""
        return any(r in self.roles for r in roles)


@dataclass(frozen=True)
class Org:
    """One configured organisation, as the checks need it."""

    id: str
    name: str
    kind: str
    parent: str | None
    currency: str
    is_root: bool


@dataclass(frozen=True)
class Edge:
    """The edge a customer-level read is about, as the SQL parameters that scope it."""

    seller: str
    buyer: str
    customers: list[str] | None      # end customers the user is limited to (None: all)
    cost_groups: list[str] | None    # cost groups the user is limited to (None: all)
    own: bool                        # the user's organisation is the buyer
    buyer_org: Org


# --------------------------------------------------------------------------------------------
# Building a scope

def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def subtree(con: duckdb.DuckDBPyConnection, org: str) -> frozenset[str]:
    """The organisation `org` and every organisation below it."""
    return frozenset(r[0] for r in con.execute(sql("scope_subtree"), {"org": org}).fetchall())


_subtree = subtree      # the name tests build hand-made scopes with


def scope_for_user(con: duckdb.DuckDBPyConnection, username: str) -> Scope:
    """The scope of a configured user (cfg_users + cfg_organizations). ScopeError if unknown."""
    if not isinstance(username, str) or not username:
        raise ScopeError("You are not signed in as a known user.")
    row = con.execute(sql("scope_user"), {"username": username}).fetchone()
    if row is None:
        raise ScopeError("You are not signed in as a known user.")
    name, org, roles, customers, cost_groups, org_known = row
    if not org_known:
        raise ScopeError("Your organisation is no longer configured; ask your administrator.")
    return Scope(
        username=name,
        org_id=org,
        roles=frozenset(roles or ()),
        customers=_frozen(customers),
        cost_groups=_frozen(cost_groups) if cost_groups else None,   # [] means: not restricted
        visible_orgs=subtree(con, org),
    )


def root_org(con: duckdb.DuckDBPyConnection) -> str | None:
    """The id of the organisation running Tierline (the root), or None before a configuration."""
    roots = con.execute(sql("scope_root")).fetchall()
    return roots[0][0] if roots else None


def system_scope(con: duckdb.DuckDBPyConnection) -> Scope:
    """An admin of the root organisation (the CLI's reports). Sees what the root may see, no more."""
    root = root_org(con)
    if root is None:
        raise ScopeError("No organisation is configured yet; import a configuration first.")
    return Scope(username="system", org_id=root, roles=frozenset({"admin"}),
                 visible_orgs=subtree(con, root))


# --------------------------------------------------------------------------------------------
# What a scope may see

def _org(con: duckdb.DuckDBPyConnection, org_id: str) -> Org | None:
    row = con.execute(sql("scope_org"), {"org": org_id}).fetchone()
    if row is None:
        return None
    oid, name, kind, parent, currency, _depth, is_root = row
    return Org(oid, name, kind, parent, currency, bool(is_root))


def own_org(con: duckdb.DuckDBPyConnection, scope: Scope) -> Org:
    """The user's own organisation; ScopeError when it is no longer configured."""
    me = _org(con, scope.org_id)
    if me is None:
        raise ScopeError("Your organisation is no longer configured; ask your administrator.")
    return me


def full_view(scope: Scope) -> bool:
    """Admins and leaders: every edge of their organisation, whoever the customer."""
    return scope.has_role(*FULL_ROLES)


def seller_view(scope: Scope) -> bool:
    """The user may read edges their organisation sells on."""
    return full_view(scope) or scope.has_role("account_manager")


def buyer_view(scope: Scope) -> bool:
    """The user may read the edge their organisation buys on."""
    return full_view(scope) or scope.has_role("customer")


def customer_filter(scope: Scope) -> list[str] | None:
    """None: every buyer of the user's organisation; else the account manager's customers."""
    if full_view(scope):
        return None
    return sorted(scope.customers or ())


def _cost_groups(scope: Scope) -> list[str] | None:
    if full_view(scope) or not scope.cost_groups:
        return None
    return sorted(scope.cost_groups)


def invoice_params(scope: Scope) -> dict[str, Any]:
    """The scope parameters of the invoice reads (rpt_invoices, rpt_invoice_lines)."""
    return {"org": scope.org_id, "seller_view": seller_view(scope),
            "customers": customer_filter(scope),
            "buyer_view": buyer_view(scope) and _cost_groups(scope) is None}


def _visible(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[tuple]:
    """(id, name, currency, parent, kind) of visible_customers, in its order."""
    return con.execute(sql("scope_buyers"), {
        "org": scope.org_id, "seller_view": seller_view(scope),
        "customers": customer_filter(scope), "buyer_view": buyer_view(scope),
    }).fetchall()


def visible_customers(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """[{id, name, currency, parent}] of the organisations whose edge to their parent this user
    may open: the direct buyers of the user's organisation (account managers: those holding their
    customers), then the user's own organisation when it has a parent (the price it pays)."""
    return [{"id": i, "name": n, "currency": c, "parent": p} for i, n, c, p, _kind in _visible(con, scope)]


def edge(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> Edge:
    """The edge (parent of customer_id → customer_id) if this user may see it; else ScopeError.
    One read: the buyer's organisation is the row visible_customers found it in."""
    refused = ScopeError("You do not have access to that customer.")
    if not isinstance(customer_id, str) or not customer_id:
        raise refused
    found = next((r for r in _visible(con, scope) if r[0] == customer_id), None)
    if found is None or found[3] is None:
        raise refused
    oid, name, currency, parent, kind = found
    buyer = Org(oid, name, kind, parent, currency, False)      # it has a parent: not the root
    if customer_id == scope.org_id:
        return Edge(buyer.parent, customer_id, None, _cost_groups(scope), True, buyer)
    return Edge(scope.org_id, customer_id, customer_filter(scope), None, False, buyer)


def check_customer(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> None:
    """ScopeError unless this user may see customer_id's money (one of visible_customers)."""
    edge(con, scope, customer_id)


def check_whole_invoice(scope: Scope, on: Edge) -> None:
    """Invoice-level reads need the whole edge: not for a cost-group user or a partial assignment."""
    if on.cost_groups is not None:
        raise ScopeError("Your access covers some cost groups only; the invoice covers the whole "
                         "organisation, so it is not shown to you.")
    if on.customers is not None and on.buyer not in on.customers:
        raise ScopeError("You are assigned only some of this organisation's customers; its invoice "
                         "covers all of them, so it is not shown to you.")


def visible_periods(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[date]:
    """Billing periods with a successful billing run, newest first."""
    return [r[0] for r in con.execute(sql("scope_periods")).fetchall()]


def check_period(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> date:
    """The period as the first of its month; ValueError if malformed, ScopeError if not billed."""
    p = parse_period(period)
    if p not in visible_periods(con, scope):
        raise ScopeError(f"{p:%Y-%m} has not been billed yet.")
    return p


def require_root(con: duckdb.DuckDBPyConnection, scope: Scope, roles: tuple[str, ...],
                 what: str) -> None:
    """ScopeError unless the user has one of `roles` in the organisation running Tierline."""
    if not scope.has_role(*roles) or not own_org(con, scope).is_root:
        raise ScopeError(f"{what} is shown to {' and '.join(r + 's' for r in roles)} of "
                         f"the organisation running Tierline only.")


# --------------------------------------------------------------------------------------------
# The façade: the reports live in queries/reports/; callers and tests written against the
# one-module layer call them as `scope.invoices(...)`. Imported last, because the reports import
# the checks above.
from queries.reports.admin import (  # noqa: E402,F401
    audit_actions,
    audit_entries,
    audit_filters,
    deliveries,
    reconciliation,
    unassigned,
)
from queries.reports.budgets import budget_alerts, budget_status  # noqa: E402,F401
from queries.reports.commitments import (  # noqa: E402,F401
    commitment_inventory,
    commitment_violations,
    commitments_page,
    coverage,
    credits_by_kind,
    partner_credit_alerts,
    policy_money,
)
from queries.reports.common import MAX_ROWS  # noqa: E402,F401
from queries.reports.common import money_text as _fmt  # noqa: E402,F401  (tests)
from queries.reports.common import row_share as _share  # noqa: E402,F401  (tests)
from queries.reports.costs import (  # noqa: E402,F401
    COST_BY,
    COST_GROUP_TAG,
    customer_costs,
    customer_focus_rows,
    customer_rows,
    customer_sub_accounts,
    spend_params,
)
from queries.reports.explain import explain_price, price_groups  # noqa: E402,F401
from queries.reports.invoices import (  # noqa: E402,F401
    credit_notes,
    customer_summary,
    edge_invoice,
    invoice_detail,
    invoice_report,
    invoices,
    summary_of,
)
from queries.reports.margins import MARGIN_BY, margin_breakdown, margin_report  # noqa: E402,F401
from queries.reports.portal import (  # noqa: E402,F401
    SPEND_BY,
    Filters,
    check_filters,
    filter_options,
    forecast,
    freshness,
    month_glance,
    top_resources,
)
from queries.reports.portal import brand as portal_brand  # noqa: E402,F401
from queries.reports.portal import daily as daily_spend  # noqa: E402,F401
from queries.reports.portal import months as invoice_months  # noqa: E402,F401
from queries.reports.portal import spend as portal_spend  # noqa: E402,F401
from queries.reports.qbr import (  # noqa: E402,F401
    check_review,
    next_steps,
    qbr_report,
    review_customers,
    review_quarters,
)
