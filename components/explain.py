"""The portal's explanations, for two pages: Why this price (queries/reports/explain.py) and
Budgets (queries/reports/budgets.py, written through data/budgets.py).

Reads are cached like components/cached.py's (keyed by the signed-in username and the store's
access version, so a result is never served to another user or outlives a change of access);
every value from a widget or the URL reaches the scoped layer, which checks it again.
Rendering lives here so the pages stay a guard, their pickers and one call.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from components import pickers
from components.cached import _keyed, _scope
from components.errors import refuse
from components.money import fmt, percent, plain
from components.store import cursor
from components.text import md_escape
from data.budgets import budgets_text, may_set_budgets, save_budgets
from data.config import ConfigError
from queries.reports import budgets as budget_reports
from queries.reports import explain as explain_reports
from queries.scope import ScopeError

# ------------------------------------------------------------------------------------------------
# Why this price

LINE_PARAMS = ("provider", "service", "sku", "region", "sub_account")


@_keyed
def price_groups(username: str, version: int, customer_id: str, period: date) -> list[dict]:
    with cursor() as con:
        return explain_reports.price_groups(con, _scope(con, username), customer_id, period)


@_keyed
def explain_price(username: str, version: int, customer_id: str, period: date,
                  group_id: int | None = None, line: tuple = ()) -> dict:
    with cursor() as con:
        return explain_reports.explain_price(con, _scope(con, username), customer_id, period,
                                             group_id=group_id, **dict(line))


def _group_label(g: dict) -> str:
    parts = [g["provider"], g["service"], g["sku"], g["region"], g["sub_account"],
             None if g["charge_category"] == "Usage" else g["charge_category"]]
    return " · ".join(str(p) for p in parts if p) + f" — {fmt(g['price'], g['currency'])}"


def _line_from_url() -> tuple:
    """(('provider', …), ('service', …), …) when the URL names an invoice line (the Costs page's
    link), else (). The values are checked by the scoped layer, never trusted here."""
    if "provider" not in st.query_params or "service" not in st.query_params:
        return ()
    return tuple((k, st.query_params[k]) for k in LINE_PARAMS if k in st.query_params)


def why_this_price(username: str, customer: dict, period: date) -> None:
    """The Why this price page below its pickers: a charge chosen (a pricing group from the list
    or the URL's `group`, or an invoice line from the URL's provider/service/…) and its terms."""
    line = _line_from_url()
    if line:
        if st.button("Choose another charge", key="why_other_charge"):
            for k in LINE_PARAMS:
                st.query_params.pop(k, None)
            st.rerun()
        result = explain_price(username, customer["id"], period, None, line)
    else:
        groups = price_groups(username, customer["id"], period)
        if not groups:
            st.info("There are no priced charges for this customer in this month yet.")
            return
        by_id = {g["group_id"]: g for g in groups}
        chosen = pickers._checked_select(
            "Charge", list(by_id), key=f"why_group_{customer['id']}_{period:%Y%m}", param="group",
            parse=lambda raw: int(raw) if raw.strip().isdigit() and len(raw.strip()) < 19 else None,
            show=lambda gid: _group_label(by_id[gid]), to_param=str,
            refusal=explain_reports.NOT_THEIRS_GROUP)
        result = explain_price(username, customer["id"], period, chosen)
    show_terms(result)


def show_terms(result: dict) -> None:
    """One explanation: the plan, then each decision as the steps from basis to the price paid."""
    plan = result["plan"]
    if plan is not None:
        name = f"{plan['name']} ({plan['id']})" if plan.get("name") else plan["id"]
        st.markdown(f"**Plan:** {md_escape(name)} · credits {md_escape(plan['credits'])} · "
                    f"commitments {md_escape(plan['commitments'])}")
        if plan["source"] == "today":
            st.warning("This billing run was stored without its configuration version: the rule "
                       "below is read from today's configuration, which may have changed since.")
        else:
            st.caption(f"Read from billing run {result['run_id']}, as priced with configuration "
                       f"version {plan['version']}; later changes apply from the next run.")
        if plan["tiers"]:
            bands = ", ".join(f"from {fmt(b['from'], result['currency'])}: {percent(b['discount_pct'])}"
                              for b in plan["tiers"]["bands"])
            st.markdown(f"**Volume tiers** ({md_escape(plan['tiers']['mode'])}, on the month's "
                        f"subtotal): {md_escape(bands)}")
    for n, term in enumerate(result["terms"]):
        with st.container(border=True):
            where = [term["provider"], term["service"], term["sku"], term["region"],
                     f"sub-account {term['sub_account']}" if term["sub_account"] else None]
            st.markdown("**" + md_escape(" · ".join(w for w in where if w)) + "**  \n"
                        + f"{len(term['groups'])} pricing group(s), {term['rows']} row(s)")
            st.dataframe(_steps(term), hide_index=True, width="stretch", key=f"why_steps_{n}")
    st.metric("Your price for this charge", fmt(result["total_rounded"], result["currency"]))


def _steps(term: dict) -> pd.DataFrame:
    bc, ccy = term["billing_currency"], term["buyer_currency"]
    rule = (f"rule {term['rule_no'] + 1}: {term['rule_text']}" if term["rule_no"] is not None
            else term["rule_text"])
    rows = [
        ("Rule that matched", rule, ""),
        ("Basis", term["basis_case"],
         fmt(term["basis_amount"], bc) if term["basis_amount"] is not None else "not shown"),
        ("Discount or markup", f"{term['adjustment']['text']}"
         + (f" (factor {plain(term['factor'])})" if term["factor"] is not None else ""),
         fmt(term["price_pre_tier"], bc)),
        ("Tier discount this month", f"{percent(term['tier_discount_pct'])} "
                                     f"(factor {plain(term['tier_factor'])})", fmt(term["price"], bc)),
        ("Currency", f"1 {bc} = {plain(term['fx_rate'])} {ccy}" if bc != ccy else f"{ccy}, no conversion",
         fmt(term["price_buyer"], ccy)),
    ]
    return pd.DataFrame(rows, columns=["Step", "Terms", "Amount"])


# ------------------------------------------------------------------------------------------------
# Budgets

@_keyed
def budget_status(username: str, version: int, customer_id: str, period: date) -> list[dict]:
    with cursor() as con:
        return budget_reports.budget_status(con, _scope(con, username), customer_id, period)


@_keyed
def budget_alerts(username: str, version: int, customer_id: str, period: date) -> list[dict]:
    with cursor() as con:
        return budget_reports.budget_alerts(con, _scope(con, username), customer_id, period)


def _may_set(username: str, customer_id: str) -> bool:
    with cursor() as con:
        return may_set_budgets(con, _scope(con, username), customer_id)


def _text(username: str, customer_id: str) -> str:
    with cursor() as con:
        return budgets_text(con, _scope(con, username), customer_id)


def budgets(username: str, customer: dict, period: date) -> None:
    """The Budgets page below its pickers: each budget against the month, its alerts, and the
    editor for the users who may set the customer's budgets."""
    if customer["id"] == st.session_state.get("budgets_saved_for"):
        st.success(st.session_state.pop("budgets_saved_msg", "Saved."))
        st.session_state.pop("budgets_saved_for", None)
    try:
        status = budget_status(username, customer["id"], period)
    except ScopeError as partial:
        refuse(str(partial))
    if not status:
        st.info(f"No budget is set for {customer['name']}." + (
            " Set one below." if _may_set(username, customer["id"]) else
            " Its account manager or its seller's administrators can set one."))
    else:
        rows = [{"Budget": b["label"], "Amount": fmt(b["amount"], b["currency"]),
                 "Month to date": fmt(b["actual"], b["currency"]),
                 "Used": percent(b["pct"]) if b["pct"] is not None else "",
                 "Forecast": fmt(b["forecast"], b["currency"]) if b["forecast"] is not None else "—",
                 "Alerts": ", ".join(budget_reports.alert_text(t) for t in b["alerts"]) or "none"}
                for b in status]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="budgets_status")
        methods = sorted({b["forecast_method"] for b in status if b["forecast_method"]})
        for m in methods:
            st.caption(f"Forecast: {md_escape(m)}")
        st.caption("Month to date is the invoice's subtotal at your prices, before tax (a "
                   "sub-account or tag budget: that part of it).")
    alerts = budget_alerts(username, customer["id"], period)
    st.subheader("Alerts this month")
    if not alerts:
        st.caption("No budget alert this month. Crossing 50 %, 80 % or 100 % of a budget, or a "
                   "forecast above it, raises one (once), e-mailed to the billing contact.")
    else:
        st.dataframe(pd.DataFrame([{
            "Raised": f"{a['raised_at']:%Y-%m-%d %H:%M} UTC", "Budget": a["label"],
            "Alert": budget_reports.alert_text(a["threshold"]),
            "Month to date": fmt(a["actual"], a["currency"]), "Budget amount": fmt(a["amount"], a["currency"]),
            "E-mailed": (f"to {a['emailed_to']}, {a['emailed_at']:%Y-%m-%d %H:%M} UTC" if a["emailed_at"]
                         else (a["email_error"] or "not yet")),
        } for a in alerts]), hide_index=True, width="stretch", key="budgets_alerts")
    if _may_set(username, customer["id"]):
        _editor(username, customer)


def _editor(username: str, customer: dict) -> None:
    st.subheader("Set budgets")
    st.caption("One item per budget, amounts per month in the customer's billing currency: "
               "`- {amount: \"5000.00\"}` for the whole month, `sub_account: \"…\"` for one "
               "sub-account, `tag_key: team, tag_value: data` for the rows with a tag value. "
               "Saving re-validates the configuration and is audited.")
    text = st.text_area("Budgets (YAML)", value=_text(username, customer["id"]), height=200,
                        key=f"budgets_text_{customer['id']}")
    if not st.button("Save budgets", type="primary", key="budgets_save"):
        return
    with cursor() as con:
        try:
            version = save_budgets(con, _scope(con, username), customer["id"], text)
        except ConfigError as exc:
            st.error("The budgets were not saved:\n\n"
                     + "\n".join(f"- {md_escape(str(i))}" for i in exc.issues))
            return
        except ScopeError as exc:
            st.error(md_escape(str(exc)))
            return
    st.cache_data.clear()       # the new version keys every cached read anew
    st.session_state["budgets_saved_for"] = customer["id"]
    st.session_state["budgets_saved_msg"] = (f"Saved as configuration version {version}. Alerts "
                                              "are evaluated at the end of each billing run.")
    st.rerun()
