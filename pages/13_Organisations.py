"""Organisations: the admin's subtree as a tree; create, rename, move, deactivate; currency, tax
rate, plan, billing contact and branding (docs/console.md)."""
import streamlit as st

from components import console
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Organisations")

st.title("Organisations")
st.caption("Your organisation and everything below it. Every change re-validates the whole "
           "configuration as an import does, is audited, and applies from the next billing run; "
           "issued invoices never change.")
with user_errors():
    console.organisations(user.username)
