"""Why this price: the pricing that made a customer's price, read from the billing run's stored
decisions (the rule that matched, the basis, the discount or markup, the month's tier discount,
the FX rate). Opened from the Costs page with ?customer=…&period=…&provider=…&service=… (an
invoice line) or &group=… (a pricing group); every value is checked by the scoped layer."""
import streamlit as st

from components import explain, pickers
from components.auth import require
from components.errors import user_errors
from components.nav import ALL_ROLES
from components.text import md_escape

user = require(roles=ALL_ROLES, title="Why this price")

st.title("Why this price")
st.caption("The terms your price was computed with, as the billing run stored them.")
with user_errors():
    customer, period = pickers.customer_month(user.username, prefix="why")
    st.subheader(md_escape(customer["name"]))        # a name from the configuration
    explain.why_this_price(user.username, customer, period)
