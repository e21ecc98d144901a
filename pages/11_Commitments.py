"""Commitments: reserved instances, savings plans and credits managed as margin — the inventory,
the single-customer rule, what each policy did, credits by kind, coverage (issue #15)."""
import streamlit as st

from components import cached, pickers, tables
from components.auth import require
from components.errors import user_errors
from components.text import md_escape

user = require(roles=("admin", "leader", "account_manager"), title="Commitments")

INVENTORY = ["name", "type", "provider", "owner_customer", "utilization_pct", "purchase_cost",
             "amortized_cost", "used_cost", "unused_cost", "currency", "rows", "commitment_id"]
INVENTORY_MONEY = ["purchase_cost", "amortized_cost", "used_cost", "unused_cost"]
VIOLATIONS = ["owner_customer", "customer", "rows", "effective_cost", "list_cost", "currency", "type",
              "commitment_id"]
POLICIES = ["buyer", "customer", "policy", "share_pct", "saving", "saving_passed", "saving_retained",
            "waste_carried", "waste_passed", "purchase_charged", "currency"]
POLICY_MONEY = ["saving", "saving_passed", "saving_retained", "waste_carried", "waste_passed",
                "purchase_charged"]
CREDITS = ["customer", "provider", "kind", "amount", "currency", "treatment", "rows"]
COVERAGE = ["name", "provider", "coverage_pct", "utilization_pct", "saving_passed", "ondemand_cost",
            "steady_monthly", "monthly_saving", "currency"]
COVERAGE_MONEY = ["saving_passed", "ondemand_cost", "steady_monthly", "monthly_saving"]

st.title("Commitments")
st.caption("Reserved instances, savings plans and committed-use discounts, and the provider credits: "
           "where a reseller's margin is made or lost.")
# Alerts are warnings: an error on a page means it refused to show something (components/errors.py).
with user_errors():
    period = pickers.period(user.username, key="commit_period")
    data = cached.commitments_page(user.username, period)

    st.subheader("Single-customer rule")
    violations = tables.frame(data["violations"])
    if data["violations"]:
        st.warning(f"{len(data['violations'])} commitment benefit(s) covered usage of a customer that does not "
                 "own the commitment. Since June 2025 AWS allows a partner's commitment benefit only "
                 "within the end customer that owns it.", icon=":material/gpp_bad:")
    else:
        st.success("No commitment covered another customer's usage this month.", icon=":material/verified:")
    tables.show(violations, money_columns=["effective_cost", "list_cost"], columns=VIOLATIONS,
                key="commit_violations")

    st.subheader("Inventory")
    for c in data["under_used"]:
        st.warning(md_escape(f"Under-used: {c['name'] or c['commitment_id']} ({c['provider']}) ran at "
                             f"{c['utilization_pct']} % utilisation; {c['currency']} {c['unused_cost']} "
                             f"of it went unused."), icon=":material/trending_down:")
    inventory = tables.frame(data["inventory"])
    tables.show(inventory, money_columns=INVENTORY_MONEY, columns=INVENTORY, key="commit_inventory")
    tables.csv_download(tables.frame(data["inventory"], INVENTORY), f"commitments-{period:%Y-%m}.csv",
                        key="commit_inventory_csv")

    st.subheader("Partner-earned credit")
    for a in data["pec_alerts"]:
        st.warning(md_escape(f"Partner-earned credit lost: {a['name']} earned {a['currency']} "
                           f"{a['previous_amount']} of {a['provider']} partner-earned credit in "
                           f"{a['previous_period']} and none in {a['period']}. Check the partner's admin "
                           f"access to its subscriptions."), icon=":material/link_off:")
    if not data["pec_alerts"]:
        st.caption("No customer lost its partner-earned credit this month.")

    st.subheader("Credits by kind")
    tables.show(tables.frame(data["credits"]), money_columns=["amount"], columns=CREDITS, key="commit_credits")

    st.subheader("What the commitment policies did")
    st.caption("Before each rule's discount or markup: the saving (list − amortised cost of covered "
               "usage) passed on or retained, the unused commitment carried by the seller or passed on.")
    tables.show(tables.frame(data["policies"]), money_columns=POLICY_MONEY, columns=POLICIES,
                key="commit_policies")

    st.subheader("Coverage and recommendation")
    if data["coverage"]:
        first = data["coverage"][0]
        st.caption(f"Steady on-demand compute spend a new commitment could cover, assuming a "
                   f"{first['term']} commitment at {first['discount_pct']} % off the on-demand rate; the "
                   f"saving is at this month's prices.")
    tables.show(tables.frame(data["coverage"]), money_columns=COVERAGE_MONEY, columns=COVERAGE,
                key="commit_coverage")
