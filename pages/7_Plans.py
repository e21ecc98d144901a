"""Price plans: the terms your organisation sells on, edited by its administrators."""
import streamlit as st

from components import plans
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin",), title="Plans")

st.title("Price plans")
st.caption("The terms your organisation sells on. Saving re-validates the whole configuration; "
           "the change is audited and applies from the next billing run. Issued invoices never change.")
with user_errors():
    owned = plans.owned(user.username)
    if not owned:
        st.info("Your organisation owns no price plans.")
        st.stop()
    plan_id = plans.pick(owned, key="plans_pick")
    text = st.text_area("Plan (YAML)", value=plans.as_yaml(owned, plan_id), height=420,
                        key=f"plans_text_{plan_id}")
    if st.button("Save plan", type="primary", key="plans_save"):
        plans.save(user.username, text, plan_id)
