"""Tierline home: the sign-in form, then a landing page for the signed-in role.

Run with `make run` (streamlit run app.py). Every page under pages/ guards itself the same way.
"""
import streamlit as st

from components import nav
from components.auth import require
from components.nav import ALL_ROLES
from components.text import md_escape

user = require(roles=ALL_ROLES, title="Home")

# Names come from the configuration: shown as their characters, never as Markdown or HTML.
st.title(f"Welcome, {md_escape(user.name)}")
st.markdown(
    f"You are signed in as **{md_escape(user.username)}** · {md_escape(nav.role_names(user.roles))} "
    f"at **{md_escape(user.org_name)}**."
)
st.caption(md_escape(nav.what_you_see(user.roles, user.is_root, user.org_name)))

st.subheader("Where to go")
nav.quick_links(user)
