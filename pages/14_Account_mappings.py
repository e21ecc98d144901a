"""Account mappings: which provider accounts and tags bill to which customer; the period's
unmapped cost for the root's admins (docs/console.md)."""
import streamlit as st

from components import console
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Account mappings")

st.title("Account mappings")
st.caption("Which sub-accounts, billing accounts and tag values bill to which of your customers. "
           "Every change re-validates the whole configuration as an import does, is audited, and "
           "applies from the next billing run.")
with user_errors():
    console.account_mappings(user.username, user.is_root)
