"""Users: invite, reset passwords, deactivate, change roles and customers within your subtree."""
import streamlit as st

from components import console_users as users
from components import tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Users")

st.title("Users")
st.caption("The people who sign in to your organisation and the organisations below it. Every "
           "change re-validates the whole configuration, is audited, and applies at once; "
           "passwords are never shown, except a new temporary one, once.")
users.show_flash()
with user_errors():
    listing = users.listing(user.username)
    grant = users.choices(user.username)
    tables.show(users.table(listing), key="users_table")
    with st.expander("Invite a user", icon=":material/person_add:"):
        users.invite_form(user.username, grant)
    if listing:
        st.subheader("Change a user")
        chosen = users.pick(listing)
        users.edit_user(user.username, chosen, grant)
