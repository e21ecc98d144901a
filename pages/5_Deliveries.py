"""Deliveries (the console's Data section, issue #14): upload FOCUS files, the files ingested so
far with their totals and what replaced what, and the files that were refused."""
import streamlit as st

from components import console_ops
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Deliveries", root_only=True)

st.title("Deliveries")
with user_errors():
    console_ops.data_section(user)
