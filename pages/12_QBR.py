"""QBR: one customer's quarterly business review — spend by month and provider, movers, cost
drivers, notable days, next steps — and the branded PDF pack to hand over (docs/qbr.md)."""
import streamlit as st

from components import qbr
from components.auth import require
from components.errors import user_errors
from components.text import md_escape

user = require(roles=("account_manager", "admin", "leader"), title="QBR")

st.title("Quarterly business review")
with user_errors():
    left, right = st.columns(2)
    with left:
        customer = qbr.pick_customer(user.username, key=f"qbr_customer_{user.username}")
    with right:
        quarter = qbr.pick_quarter(user.username, key=f"qbr_quarter_{user.username}")
    review = qbr.review(user.username, customer["id"], quarter)

    st.header(md_escape(f"{review['name']} · {review['title']}"))
    qbr.pack_button(user.username, customer["id"], quarter, key="qbr_pack")
    qbr.headline(review)
    qbr.spend(review, key="qbr_spend")
    qbr.movers(review, key="qbr_movers")
    qbr.drivers(review, key="qbr_drivers")
    qbr.notable(review, key="qbr_notable")
    qbr.hooks(review, key="qbr_hooks")
    qbr.next_steps_editor(user.username, customer["id"], quarter, key="qbr_steps")
