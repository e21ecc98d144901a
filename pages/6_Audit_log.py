"""Audit log: sign-ins, failed sign-ins, lockouts, sign-outs and changes, newest first, filtered
by who, what, target and when, and downloadable as CSV."""
import streamlit as st

from components import console_users, tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Audit log")

LIMIT = 1000
ANY = "(any)"

st.title("Audit log")
st.caption(f"The latest {LIMIT:,} entries of your organisation and the organisations below it "
           "that pass the filters. Entries of the organisations below, and changes that reach "
           "beyond what you may see, show who, when and what only; passwords never appear. "
           "Dates are UTC; both ends are included.")
with user_errors():
    actions = console_users.audit_actions(user.username)
    if st.session_state.get("audit_what") not in (ANY, *actions):
        st.session_state.pop("audit_what", None)       # a value no entry has: back to any
    who_col, what_col, target_col, from_col, to_col = st.columns([1, 1, 1.3, 0.8, 0.8])
    who = who_col.text_input("Who (username)", key="audit_who", max_chars=128)
    what = what_col.selectbox("What", [ANY, *actions], key="audit_what")
    target = target_col.text_input("Target contains", key="audit_target", max_chars=200)
    logged_from = from_col.date_input("From", value=None, key="audit_from")
    logged_to = to_col.date_input("To", value=None, key="audit_to")
    entries = console_users.audit_view(user.username, limit=LIMIT, who=who,
                                       what=None if what == ANY else what, target=target,
                                       logged_from=logged_from, logged_to=logged_to)
    tables.show(entries, key="audit_table", limit=LIMIT)
    tables.csv_download(entries, "audit-log.csv", key="audit_csv")
