"""Reconciliation: each provider invoice against assigned, unassigned, credits and tax."""
import streamlit as st

from components import cached, pickers, tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin", "leader"), title="Reconciliation", root_only=True)

TERMS = ["difference", "provider_total", "assigned", "unassigned", "retained_credits",
         "provider_tax"]
COLUMNS = ["provider", "invoice_id", "billing_account_id", "currency", *TERMS]

st.title("Reconciliation")
st.caption("Provider total = assigned + unassigned + retained credits + provider tax, to the "
           "cent: the difference must be 0.00. The total is rounded once to the currency's minor "
           "unit and the terms are rounded together so that the figures shown add up to it "
           "(largest remainder: each term moves by less than a cent).")
with user_errors():
    period = pickers.period(user.username, key="recon_period")
    recon = tables.frame(cached.reconciliation(user.username, period))
    tables.show(recon, money_columns=TERMS, columns=COLUMNS, key="recon_table")
    tables.csv_download(recon, f"reconciliation-{period:%Y-%m}.csv", key="recon_csv")

    st.subheader("Unassigned cost")
    st.caption("Provider cost that maps to no customer: nobody is billed for it.")
    rows = cached.unassigned(user.username, period)
    tables.show(rows, money_columns=["BilledCost"], currency_column="BillingCurrency",
                key="recon_unassigned")
    tables.csv_download(rows, f"unassigned-{period:%Y-%m}.csv", key="recon_unassigned_csv")
