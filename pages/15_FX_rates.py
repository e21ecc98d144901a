"""FX rates per period: the missing pairs in use, the locked periods (docs/console.md)."""
import streamlit as st

from components import console
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="FX rates")

st.title("FX rates")
st.caption("One rate per currency pair and period: units of To per one From. A period with "
           "issued invoices is locked.")
with user_errors():
    console.fx_rates(user.username)
