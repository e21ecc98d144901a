"""Costs: one customer's month — the total, where it comes from, and the rows behind it."""
import streamlit as st

from components import cached, charts, pickers, tables
from components.auth import require
from components.errors import ScopeError, user_errors
from components.money import fmt
from components.nav import ALL_ROLES
from components.text import md_escape

user = require(roles=ALL_ROLES, title="Costs")

ROW_COLUMNS = ["ChargePeriodStart", "ProviderName", "ServiceName", "price", "currency",
               "quantity", "unit", "SubAccountId", "RegionId", "ChargeCategory", "ListCost",
               "BilledCost", "EffectiveCost", "BillingCurrency", "SkuId", "ResourceName",
               "ResourceId"]
ROW_MONEY = {"price": "currency", "ListCost": "BillingCurrency", "BilledCost": "BillingCurrency",
             "EffectiveCost": "BillingCurrency"}
BREAKDOWNS = {"service": "Service", "provider": "Provider", "sub_account": "Sub-account",
              "region": "Region", "category": "Category", "day": "Day"}

st.title("Costs")
with user_errors():
    left, right = st.columns(2)
    with left:
        customer = pickers.customer(user.username, key="costs_customer")
    with right:
        period = pickers.period(user.username, key="costs_period")

    st.subheader(md_escape(customer["name"]))        # a name from the configuration
    try:
        summary = cached.customer_summary(user.username, customer["id"], period)
    except ScopeError as partial:  # e.g. an account manager assigned some of a reseller's customers
        st.info(md_escape(str(partial)), icon=":material/info:")
        summary = None
    if summary is not None:
        currency = summary["currency"]
        if summary["final"]:
            st.badge("Invoiced — final", icon=":material/verified:", color="green")
        elif summary["status"] == "draft":
            st.badge("Month to date — not final", icon=":material/schedule:", color="orange")
        else:
            st.badge("No charges billed for this month yet", icon=":material/info:", color="gray")
        total, subtotal, tax = st.columns(3)
        total.metric("Total", fmt(summary["total"], currency))
        subtotal.metric("Subtotal", fmt(summary["subtotal"], currency))
        tax.metric("Tax", fmt(summary["tax"], currency))
        with st.expander("Invoice lines"):
            tables.show(tables.frame(summary["lines"], ["description", "amount"]),
                        money_columns=["amount"], currency=currency, key="costs_lines")

    st.subheader("Breakdown")
    by = pickers.choice("Breakdown by", BREAKDOWNS, key="costs_by", default="service")
    costs = cached.customer_costs(user.username, customer["id"], period, by)
    chart, table = st.columns(2)
    with chart:
        charts.bar(costs, "price_chart", key="costs_chart")
    with table:
        tables.show(costs, money_columns=["price"], height=360, key="costs_breakdown")
        tables.csv_download(costs, f"{customer['id']}-{period:%Y-%m}-by-{by}.csv",
                            key="costs_breakdown_csv")

    st.subheader("Rows")
    f1, f2 = st.columns(2)
    with f1:
        sub_account = pickers.optional(
            "Sub-account", cached.customer_sub_accounts(user.username, customer["id"], period),
            key="costs_rows_sub_account", context=f"{customer['id']}_{period:%Y%m}")
    with f2:
        service = pickers.optional(
            "Service", tables.values(
                cached.customer_costs(user.username, customer["id"], period, "service"),
                "ServiceName"),
            key="costs_rows_service", context=f"{customer['id']}_{period:%Y%m}")
    rows = cached.customer_rows(user.username, customer["id"], period, sub_account, service)
    tables.show(rows, money_columns=ROW_MONEY, columns=ROW_COLUMNS, key="costs_rows", limit=500)
    tables.csv_download(rows, f"{customer['id']}-{period:%Y-%m}-rows.csv", key="costs_rows_csv")
