"""Margins: what the organisation earned in a period — revenue, cost, margin and margin %, where
it comes from, who is below the margin floor, and the last 12 months."""
import streamlit as st

from components import charts, margins, pickers, tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin", "leader"), title="Margins")

st.title("Margins")
st.caption("Revenue is what your organisation invoices (net of credit notes, before tax); cost is "
           "what it is invoiced for the same period" + (" (the provider's charges)." if user.is_root
                                                      else ", fees included."))
with user_errors():
    period = pickers.period(user.username, key="margins_period")
    report = margins.report(user.username, period)
    margins.totals(report)

    st.subheader("Last 12 months")
    trend = margins.breakdown(user.username, period, "month")
    margins.trend_chart(trend, key="margins_trend")

    st.subheader("Where the margin comes from")
    sources = margins.with_pct_column(margins.breakdown(user.username, period, "source"))
    tables.show(sources, money_columns=margins.MONEY, key="margins_sources",
                columns=["label", "currency", "revenue", "cost", "margin", "margin %"])

    st.subheader("Breakdown")
    options = margins.breakdowns(user.org_kind)
    by = pickers.choice("Breakdown by", options, key="margins_by", default=next(iter(options)))
    rows = margins.breakdown(user.username, period, by)
    if by in ("customer", "end_customer"):
        margins.below_floor(rows)
    breakdown = margins.with_pct_column(rows)
    charts.bar(tables.frame(rows), "margin", by=margins.CHART_BY[by], key="margins_chart")
    tables.show(breakdown, money_columns=margins.MONEY, key="margins_breakdown",
                columns=["name", "provider", "service", "currency", "revenue", "cost", "margin",
                         "margin %", "floor %", "below_floor"])
    tables.csv_download(tables.frame(rows), f"margins-{period:%Y-%m}-by-{by}.csv", key="margins_csv")

    st.subheader("Credits by kind")
    st.caption("Provider credits of the period (partner-earned, promotional, support, refund) and "
               "what the plans did with them: retained as margin or passed on.")
    tables.show(tables.frame(margins.credits(user.username, period)), money_columns=["amount"],
                currency_column="currency", key="margins_credits",
                columns=["customer", "provider", "kind", "treatment", "rows", "currency", "amount"])

    if user.is_root:
        st.subheader("Revenue leakage")
        st.caption("Provider cost of rows no account mapping or tag rule gives to a customer: "
                   "paid, and invoiced to nobody (see Reconciliation for the accounts).")
        leakage = tables.frame(margins.breakdown(user.username, period, "leakage"))
        tables.show(leakage, money_columns=["cost"], key="margins_leakage",
                    columns=["provider", "currency", "cost"])
