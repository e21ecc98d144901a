"""Issue invoices (the console's Invoices section, issue #14): review the period's drafts of
your organisation, issue them after a confirmation, download documents, credit notes, e-mail."""
import streamlit as st

from components import console_ops
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Issue invoices")

st.title("Issue invoices")
with user_errors():
    console_ops.invoices_section(user)
