"""Costs: one customer's month — where it is heading, what it is made of, the rows behind it,
in the seller's brand (issue #12, docs/portal.md)."""
import streamlit as st

from components import cached, charts, pickers, portal, tables
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
BREAKDOWNS = {"service": "Service", "provider": "Provider", "category": "Category",
              "region": "Region", "sub_account": "Sub-account", "tag": "Tag"}
STACKS = {"provider": "Provider", "service": "Service"}

with user_errors():
    top = st.container()                       # brand: drawn once the customer is checked
    st.title("Costs")
    customer, period = pickers.customer_month(user.username, prefix="costs")
    with top:
        portal.brand_band(cached.portal_brand(user.username, customer["id"]), page="Costs")
    st.subheader(md_escape(customer["name"]))        # a name from the configuration
    glance_slot = st.container()                 # drawn after every filter value is checked
    budget_slot = st.container(key="costs_budget")   # the customer's budgets (#12 item 4)

    st.subheader("Filters")
    chosen = portal.filters(user.username, customer["id"], period, key="costs_f")
    narrowed = chosen.as_tuple()

    summary = None
    with glance_slot:
        try:
            glance = cached.portal_glance(user.username, customer["id"], period)
        except ScopeError as partial:   # a cost-group user, an account manager of some customers
            st.info(md_escape(str(partial)), icon=":material/info:")
        else:
            summary = glance["summary"]
            portal.glance(glance, period)
            with st.expander("Invoice lines"):
                tables.show(tables.frame(summary["lines"], ["description", "amount"]),
                            money_columns=["amount"], currency=summary["currency"],
                            key="costs_lines")
                portal.why_link(customer, period)
    with budget_slot:
        portal.budget_band(user.username, customer, period)

    st.subheader("Trend")
    days_col, months_col = st.columns([3, 2])
    with days_col:
        stack = pickers.choice("Daily spend by", STACKS, key="costs_stack", default="provider")
        daily = cached.portal_daily(user.username, customer["id"], period, stack, narrowed)
        if daily["frame"].empty:
            st.info("No usage is loaded for this month and these filters yet. Clear a filter, or "
                    "pick another month.", icon=":material/info:")
        else:
            charts.stacked_days(daily["frame"], "price_chart", "ProviderName" if stack == "provider"
                                else "ServiceName", currency=daily["currency"], key="costs_days")
            tables.csv_download(daily["frame"], f"{customer['id']}-{period:%Y-%m}-daily.csv",
                                key="costs_days_csv", label_text="Daily spend (CSV)")
        if daily["corrections"]:
            st.caption(f"Provider corrections of earlier months in this month: "
                       f"{fmt(daily['corrections'], daily['currency'])} (not in the daily bars).")
    with months_col:
        st.caption("Invoice totals, last 12 months")
        try:
            history = cached.portal_months(user.username, customer["id"], period)
        except ScopeError as partial:
            st.caption(md_escape(str(partial)))
        else:
            charts.months(history, key="costs_months")

    st.subheader("Breakdown")
    by = pickers.choice("Breakdown by", BREAKDOWNS, key="costs_by", default="service")
    if by == "tag" and chosen.tag_key is None:
        st.info("Pick a tag key in the filters above to see spend by its values, untagged "
                "included.", icon=":material/sell:")
    else:
        costs = cached.portal_spend(user.username, customer["id"], period, by, narrowed)
        chart, table = st.columns(2)
        with chart:
            charts.bar(costs, "price_chart", by=[c for c in costs.columns
                                                if c not in ("currency", "price", "price_chart",
                                                             "rows")], key="costs_chart")
        with table:
            tables.show(portal.breakdown_table(costs, by, chosen.tag_key), money_columns=["price"],
                        height=360, key="costs_breakdown")
            tables.csv_download(costs, f"{customer['id']}-{period:%Y-%m}-by-{by}.csv",
                                key="costs_breakdown_csv")

    st.subheader("Top resources")
    resources = cached.portal_spend(user.username, customer["id"], period, "resource", narrowed, 20)
    tables.show(resources.drop(columns=["rows"]), money_columns=["price"], key="costs_resources")
    tables.csv_download(resources, f"{customer['id']}-{period:%Y-%m}-top-resources.csv",
                        key="costs_resources_csv")

    st.subheader("Rows")
    if chosen.region is not None or chosen.tag_key is not None:
        st.caption("The rows follow the sub-account and service filters; region and tag narrow "
                   "the views above.")
    rows = cached.customer_rows(user.username, customer["id"], period, chosen.sub_account,
                                chosen.service)
    tables.show(rows, money_columns=ROW_MONEY, columns=ROW_COLUMNS, key="costs_rows", limit=500)
    portal.why_link(customer, period)
    tables.csv_download(rows, f"{customer['id']}-{period:%Y-%m}-rows.csv", key="costs_rows_csv")

    st.subheader("Documents")
    if summary is not None:
        portal.documents(user.username, summary, customer, period, key="costs_docs")
    else:
        st.caption("Invoice documents cover the whole organisation, so they are not offered "
                   "to you.")
