"""Billing (the console's Billing section, issue #14): run or re-run a period, the run's counts,
the rows it could not price with the reason, and the cost nobody is billed for."""
import streamlit as st

from components import console_ops
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Billing", root_only=True)

st.title("Billing")
with user_errors():
    console_ops.billing_section(user)
