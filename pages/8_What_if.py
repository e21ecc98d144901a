"""What-if: one of your organisation's plans, changed in a form, priced on a billed period
without changing anything stored; saved through the audited plan change if wanted."""
import streamlit as st

from components import cached, margins, pickers, plans, tables
from components.auth import require
from components.errors import user_errors

user = require(roles=("admin", "leader"), title="What-if")

st.title("What-if")
st.caption("Change a plan and see what each buyer on it would have been invoiced for a past "
           "period, and what your organisation would have earned. Nothing is stored until an "
           "administrator saves the plan (audited; it applies from the next billing run).")
with user_errors():
    owned = margins.whatif_plans(user.username)
    if not owned:
        st.info("Your organisation sells on no price plans.")
        st.stop()
    left, right = st.columns(2)
    with left:
        plan_id = plans.pick(owned, key="whatif_plan")
    with right:
        period = pickers.period(user.username, key="whatif_period")
    base = next(p for p in owned if p["id"] == plan_id)
    form = margins.plan_form(base)

    st.subheader("Rules")
    st.caption("The most specific matching rule prices a row (SKU > service > category > provider). "
               "Basis: list, contracted, effective or cost; then a discount % or a markup %.")
    rules = margins.editor(form["rules"], margins.RULE_COLUMNS, key=f"whatif_rules_{plan_id}",
                           choices={"basis": margins.BASES})
    c1, c2, c3 = st.columns(3)
    credits = c1.selectbox("Credits", list(margins.CREDITS), format_func=margins.CREDITS.get,
                           index=list(margins.CREDITS).index(form["credits"]), key=f"whatif_credits_{plan_id}")
    commitments = c2.selectbox("Commitments", list(margins.COMMITMENTS), format_func=margins.COMMITMENTS.get,
                               index=list(margins.COMMITMENTS).index(form["commitments"]),
                               key=f"whatif_commitments_{plan_id}")
    share = c3.text_input("Share of the saving passed on (%)", value=form["commitment_share_pct"] or "",
                          key=f"whatif_share_{plan_id}", disabled=commitments != "share")

    st.subheader("Volume tiers and fees")
    t1, t2 = st.columns(2)
    with t1:
        mode = st.selectbox("Tiers", list(margins.TIER_MODES), format_func=margins.TIER_MODES.get,
                            index=list(margins.TIER_MODES).index(form["tiers_mode"] or ""),
                            key=f"whatif_tiers_{plan_id}")
        bands = margins.editor(form["bands"], margins.BAND_COLUMNS, key=f"whatif_bands_{plan_id}")
    with t2:
        st.caption("A fee is a fixed amount a month (in the buyer's currency) or a % of usage.")
        fees = margins.editor(form["fees"], margins.FEE_COLUMNS, key=f"whatif_fees_{plan_id}")

    plan = margins.plan_from_form(base, rules=rules, bands=bands, fees=fees, tiers_mode=mode or None,
                                  credits=credits, commitments=commitments,
                                  commitment_share_pct=share if commitments == "share" else None)

    st.subheader(f"{pickers.period_label(period)}, priced with the changed plan")
    rows, problems = margins.run_whatif(user.username, period, plan)
    if problems:
        margins.problems(problems)
    else:
        names = {c["id"]: c["name"] for c in cached.visible_customers(user.username)}
        result = margins.results_table(rows, names)
        tables.show(result, money_columns=margins.WHATIF_MONEY, key="whatif_results",
                    columns=["name", "currency", *margins.WHATIF_MONEY])

    if user.has_role("admin"):
        if st.button("Save as the plan", key="whatif_save", disabled=bool(problems), type="primary"):
            plans.save(user.username, margins.plan_text(plan), plan_id)
    else:
        st.caption("Only an administrator can save the plan; share the change with one.")
