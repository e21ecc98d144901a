"""Margins: what the organisation earned in a period — revenue, cost and margin, and where."""
import streamlit as st

from components import cached, charts, pickers, tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin", "leader"), title="Margins")

BREAKDOWNS = {"customer": "Customer", "provider": "Provider", "service": "Service"}
MONEY = ["revenue", "cost", "margin"]

st.title("Margins")
with user_errors():
    period = pickers.period(user.username, key="margins_period")
    report = tables.frame(cached.margin_report(user.username, period),
                          ["currency", "revenue", "cost", "margin"])
    tables.show(report, money_columns=MONEY, key="margins_report")

    st.subheader("Breakdown")
    by = pickers.choice("Breakdown by", BREAKDOWNS, key="margins_by", default="customer")
    breakdown = tables.frame(cached.margin_breakdown(user.username, period, by))
    charts.bar(breakdown, "margin", by=["name"] if by == "customer" else None,
               key="margins_chart")
    tables.show(breakdown, money_columns=MONEY, key="margins_breakdown")
    tables.csv_download(breakdown, f"margins-{period:%Y-%m}-by-{by}.csv", key="margins_csv")
