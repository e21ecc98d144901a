"""Audit log: sign-ins, failed sign-ins, lockouts, sign-outs and changes, newest first."""
import streamlit as st

from components import cached, tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Audit log")

st.title("Audit log")
st.caption("The latest 1,000 entries of your organisation and the organisations below it. "
           "Entries of the organisations below, and changes that reach beyond what you may see, "
           "show who, when and what only; passwords never appear.")
with user_errors():
    entries = cached.audit_entries(user.username, limit=1000)
    tables.show(entries, key="audit_table", limit=1000)
    tables.csv_download(entries, "audit-log.csv", key="audit_csv")
