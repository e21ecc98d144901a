"""Cached calls into queries.scope, the one layer that decides what a user may see.

Every function takes the signed-in `username` as its first argument and rebuilds the scope
from it, so a cached result is keyed by who asked and can never be served to someone else.
Arguments are plain values (strings, dates), never widget objects. Results live 60 s; a
ScopeError or other exception is not cached and reaches the page (components/errors.py).
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from components.store import cursor
from queries import scope as q

TTL = 60


def _scope(con, username: str):
    return q.scope_for_user(con, username)


@st.cache_data(ttl=TTL, show_spinner=False)
def visible_customers(username: str) -> list[dict]:
    with cursor() as con:
        return q.visible_customers(con, _scope(con, username))


@st.cache_data(ttl=TTL, show_spinner=False)
def visible_periods(username: str) -> list[date]:
    with cursor() as con:
        return list(q.visible_periods(con, _scope(con, username)))


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_summary(username: str, customer_id: str, period: date) -> dict:
    with cursor() as con:
        return q.customer_summary(con, _scope(con, username), customer_id, period)


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_costs(username: str, customer_id: str, period: date, by: str,
                   sub_account: str | None = None) -> pd.DataFrame:
    with cursor() as con:
        return q.customer_costs(con, _scope(con, username), customer_id, period, by=by,
                                sub_account=sub_account)


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_sub_accounts(username: str, customer_id: str, period: date) -> list[str]:
    with cursor() as con:
        return q.customer_sub_accounts(con, _scope(con, username), customer_id, period)


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_rows(username: str, customer_id: str, period: date, sub_account: str | None = None,
                  service: str | None = None, limit: int = 500) -> pd.DataFrame:
    with cursor() as con:
        return q.customer_rows(con, _scope(con, username), customer_id, period, limit=limit,
                               sub_account=sub_account, service=service)


@st.cache_data(ttl=TTL, show_spinner=False)
def invoices(username: str, period: date | None = None) -> list[dict]:
    with cursor() as con:
        return q.invoices(con, _scope(con, username), period)


@st.cache_data(ttl=TTL, show_spinner=False)
def invoice_detail(username: str, invoice_id: int) -> dict:
    with cursor() as con:
        return q.invoice_detail(con, _scope(con, username), invoice_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def margin_report(username: str, period: date) -> list[dict]:
    with cursor() as con:
        return q.margin_report(con, _scope(con, username), period)


@st.cache_data(ttl=TTL, show_spinner=False)
def margin_breakdown(username: str, period: date, by: str) -> list[dict]:
    with cursor() as con:
        return q.margin_breakdown(con, _scope(con, username), period, by=by)


@st.cache_data(ttl=TTL, show_spinner=False)
def reconciliation(username: str, period: date) -> list[dict]:
    with cursor() as con:
        return q.reconciliation(con, _scope(con, username), period)


@st.cache_data(ttl=TTL, show_spinner=False)
def unassigned(username: str, period: date) -> pd.DataFrame:
    with cursor() as con:
        return q.unassigned(con, _scope(con, username), period)


@st.cache_data(ttl=TTL, show_spinner=False)
def deliveries(username: str) -> pd.DataFrame:
    with cursor() as con:
        return q.deliveries(con, _scope(con, username))


def audit_entries(username: str, limit: int = 1000) -> pd.DataFrame:
    """Not cached: an administrator checking the log wants the sign-in that just happened."""
    with cursor() as con:
        return q.audit_entries(con, _scope(con, username), limit=limit)
