"""Cached calls into the scoped access layer (queries.scope and the reports in queries/reports/),
the one layer that decides what a user may see.

Every function takes the signed-in `username` as its first argument and rebuilds the scope
from it, so a cached result is keyed by who asked and can never be served to someone else.
Arguments are plain values (strings, dates), never widget objects. Results live 60 s; a
ScopeError or other exception is not cached and reaches the page (components/errors.py).

Every result is also keyed by the store's access version: the version of the configuration in
force (data.config.current_version), which every import and plan save raises. Who may see what
(organisations, assigned customers, roles, users) lives only in that configuration, so a change
of access makes every earlier result unreachable at once, for every user and session, whichever
process made the change; an account manager unassigned from a customer is refused on the next
read, not a minute later.
"""
from __future__ import annotations

import functools
from datetime import date
from typing import Callable, TypeVar

import pandas as pd
import streamlit as st

from components.store import cursor
from data.config import current_version
from queries import scope as q
from queries.reports import admin as admin_reports
from queries.reports import costs as cost_reports
from queries.reports import invoices as invoice_reports
from queries.reports import margins as margin_reports
from queries.reports import portal as portal_reports

TTL = 60
F = TypeVar("F", bound=Callable)


def _scope(con, username: str):
    return q.scope_for_user(con, username)


def access_version() -> int:
    """The configuration version in force (0 before the first import): part of every cache key."""
    with cursor() as con:
        return current_version(con) or 0


def _keyed(fn: F) -> F:
    """Cache `fn(username, access_version, *args)` and expose it as `fn(username, *args)`: the
    caller never passes the version, so a page cannot get it wrong. `fn` itself keeps a name and
    body of its own, which is what st.cache_data tells functions apart by."""
    cached = st.cache_data(ttl=TTL, show_spinner=False)(fn)

    @functools.wraps(fn)
    def call(username: str, *args, **kwargs):
        return cached(username, access_version(), *args, **kwargs)

    call.clear = cached.clear           # type: ignore[attr-defined]
    return call                         # type: ignore[return-value]


@_keyed
def visible_customers(username: str, version: int) -> list[dict]:
    with cursor() as con:
        return q.visible_customers(con, _scope(con, username))


@_keyed
def visible_periods(username: str, version: int) -> list[date]:
    with cursor() as con:
        return list(q.visible_periods(con, _scope(con, username)))


@_keyed
def customer_summary(username: str, version: int, customer_id: str, period: date) -> dict:
    with cursor() as con:
        return invoice_reports.customer_summary(con, _scope(con, username), customer_id, period)


@_keyed
def customer_costs(username: str, version: int, customer_id: str, period: date, by: str,
                   sub_account: str | None = None) -> pd.DataFrame:
    with cursor() as con:
        return cost_reports.customer_costs(con, _scope(con, username), customer_id, period,
                                           by=by, sub_account=sub_account)


@_keyed
def customer_sub_accounts(username: str, version: int, customer_id: str, period: date) -> list[str]:
    with cursor() as con:
        return cost_reports.customer_sub_accounts(con, _scope(con, username), customer_id, period)


@_keyed
def customer_rows(username: str, version: int, customer_id: str, period: date,
                  sub_account: str | None = None, service: str | None = None,
                  limit: int = 500) -> pd.DataFrame:
    with cursor() as con:
        return cost_reports.customer_rows(con, _scope(con, username), customer_id, period,
                                          limit=limit, sub_account=sub_account, service=service)


# --- the cost portal (queries/reports/portal.py); filters travel as Filters.as_tuple() --------

@_keyed
def portal_glance(username: str, version: int, customer_id: str, period: date) -> dict:
    with cursor() as con:
        return portal_reports.month_glance(con, _scope(con, username), customer_id, period)


@_keyed
def portal_options(username: str, version: int, customer_id: str, period: date) -> dict:
    with cursor() as con:
        return portal_reports.filter_options(con, _scope(con, username), customer_id, period)


@_keyed
def portal_spend(username: str, version: int, customer_id: str, period: date, by: str,
                 filters: tuple = (), limit: int | None = None) -> pd.DataFrame:
    with cursor() as con:
        return portal_reports.spend(con, _scope(con, username), customer_id, period, by=by,
                                    filters=portal_reports.Filters(*filters), limit=limit)


@_keyed
def portal_daily(username: str, version: int, customer_id: str, period: date,
                 stack: str | None = None, filters: tuple = ()) -> dict:
    with cursor() as con:
        return portal_reports.daily(con, _scope(con, username), customer_id, period, stack=stack,
                                    filters=portal_reports.Filters(*filters))


@_keyed
def portal_months(username: str, version: int, customer_id: str, period: date) -> list[dict]:
    with cursor() as con:
        return portal_reports.months(con, _scope(con, username), customer_id, period)


@_keyed
def portal_brand(username: str, version: int, customer_id: str) -> dict:
    with cursor() as con:
        return portal_reports.brand(con, _scope(con, username), customer_id)


@_keyed
def invoices(username: str, version: int, period: date | None = None) -> list[dict]:
    with cursor() as con:
        return invoice_reports.invoices(con, _scope(con, username), period)


@_keyed
def invoice_detail(username: str, version: int, invoice_id: int) -> dict:
    with cursor() as con:
        return invoice_reports.invoice_detail(con, _scope(con, username), invoice_id)


@_keyed
def margin_report(username: str, version: int, period: date) -> list[dict]:
    with cursor() as con:
        return margin_reports.margin_report(con, _scope(con, username), period)


@_keyed
def margin_breakdown(username: str, version: int, period: date, by: str) -> list[dict]:
    with cursor() as con:
        return margin_reports.margin_breakdown(con, _scope(con, username), period, by=by)


@_keyed
def reconciliation(username: str, version: int, period: date) -> list[dict]:
    with cursor() as con:
        return admin_reports.reconciliation(con, _scope(con, username), period)


@_keyed
def unassigned(username: str, version: int, period: date) -> pd.DataFrame:
    with cursor() as con:
        return admin_reports.unassigned(con, _scope(con, username), period)


@_keyed
def deliveries(username: str, version: int) -> pd.DataFrame:
    with cursor() as con:
        return admin_reports.deliveries(con, _scope(con, username))


def data_changed() -> None:
    """After the console changed the data (an upload, a billing run, issuing, a credit note):
    every cached read goes, as after an inbox ingest (components/store.py). The access version
    only follows the configuration, so without this the portal would show the old draft for up
    to TTL seconds."""
    st.cache_data.clear()


@_keyed
def commitments_page(username: str, version: int, period: date) -> dict:
    """The Commitments page's one read (issue #15): inventory, violations, policies, credits,
    the partner-earned-credit alert, coverage."""
    from queries.reports import commitments as commitment_reports
    with cursor() as con:
        return commitment_reports.commitments_page(con, _scope(con, username), period)
