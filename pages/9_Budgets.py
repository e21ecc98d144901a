"""Budgets: a customer's monthly budgets against the month to date and its forecast, the alerts
they raised, and (for its account manager and its seller's administrators) setting them."""
import streamlit as st

from components import explain, pickers
from components.auth import require
from components.errors import user_errors
from components.nav import ALL_ROLES
from components.text import md_escape

user = require(roles=ALL_ROLES, title="Budgets")

st.title("Budgets")
with user_errors():
    customer, period = pickers.customer_month(user.username, prefix="budgets")
    st.subheader(md_escape(customer["name"]))        # a name from the configuration
    explain.budgets(user.username, customer, period)
