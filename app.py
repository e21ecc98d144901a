"""Tierline home: the sign-in form, then a landing page for the signed-in role.

Run with `make run` (streamlit run app.py). Every page under pages/ guards itself the same way.
"""
import streamlit as st

from components import nav
from components.auth import require
from components.nav import ALL_ROLES

user = require(roles=ALL_ROLES, title="Home")

st.title(f"Welcome, {user.name}")
st.markdown(
    f"You are signed in as **{user.username}** · {nav.role_names(user.roles)} "
    f"at **{user.org_name}**."
)
st.caption(nav.what_you_see(user.roles, user.is_root, user.org_name))

st.subheader("Where to go")
nav.quick_links(user)
