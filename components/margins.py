"""The Margins and What-if pages' reads and drawings.

Reads go through the scoped layer (queries/reports/margins.py, data/whatif.py) with the
signed-in username, cached like components/cached.py's (keyed by user and access version);
drawings take exact amounts and turn them into floats for plotting only (components/charts.py).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import plotly.express as px
import streamlit as st

from components.cached import _keyed
from components.money import fmt
from components.store import cursor
from components.text import html_escape, md_escape
from data.config import ConfigError
from data.whatif import (  # noqa: F401  (plan_form, plan_from_form and the columns: the page's form)
    BAND_COLUMNS,
    FEE_COLUMNS,
    RULE_COLUMNS,
    WhatIfError,
    plan_form,
    plan_from_form,
    plan_yaml,
    plans_for_whatif,
    what_if,
)
from queries import scope as q
from queries.reports import margins as margin_reports

# The breakdowns the page offers, by the organisation's kind: a distributor sells to resellers,
# so its direct buyers ("customer" in the read layer) are resellers and its customers are the
# customers of the rows ("end_customer"); for anyone else the two are the same.
DISTRIBUTOR_BREAKDOWNS = {"end_customer": "Customer", "customer": "Reseller", "provider": "Provider",
                          "service": "Service"}
BREAKDOWNS = {"customer": "Customer", "provider": "Provider", "service": "Service"}
MONEY = ["revenue", "cost", "margin"]
CHART_BY = {"customer": ["name"], "end_customer": ["name"], "provider": ["provider"],
            "service": ["provider", "service"]}


def breakdowns(org_kind: str | None) -> dict[str, str]:
    return DISTRIBUTOR_BREAKDOWNS if org_kind == "distributor" else BREAKDOWNS


@_keyed
def report(username: str, version: int, period: date) -> list[dict]:
    with cursor() as con:
        return margin_reports.margin_report(con, q.scope_for_user(con, username), period, with_pct=True)


@_keyed
def breakdown(username: str, version: int, period: date, by: str) -> list[dict]:
    with cursor() as con:
        return margin_reports.margin_breakdown(con, q.scope_for_user(con, username), period, by=by,
                                               with_pct=True)


@_keyed
def credits(username: str, version: int, period: date) -> list[dict]:
    """Provider credits by customer, provider and kind (queries/reports/commitments.py): what
    each was and who kept it; credits a seller above the user keeps are not the user's to see."""
    with cursor() as con:
        return q.credits_by_kind(con, q.scope_for_user(con, username), period)


def pct_text(value: str | None) -> str:
    """'12.34 %', or '–' where there is no percentage (no revenue; a table's empty cell)."""
    return "–" if value is None or (isinstance(value, float) and value != value) else f"{value} %"


def totals(rows: list[dict]) -> None:
    """One row of metrics per invoice currency: revenue, cost, margin, margin %."""
    if not rows:
        st.info("Nothing was sold in this period.")
        return
    for r in rows:
        ccy = r["currency"]
        cols = st.columns(4)
        cols[0].metric(f"Revenue ({ccy})", fmt(r["revenue"], ccy))
        cols[1].metric(f"Cost ({ccy})", fmt(r["cost"], ccy))
        cols[2].metric(f"Margin ({ccy})", fmt(r["margin"], ccy))
        cols[3].metric(f"Margin % ({ccy})", pct_text(r["margin_pct"]))


def with_pct_column(rows: list[dict]) -> pd.DataFrame:
    """The rows as a table whose percentages read '12.34 %' (text; no arithmetic), in columns
    headed 'Margin %' and 'Floor %'."""
    df = pd.DataFrame.from_records(rows or [], coerce_float=False)
    for column, heading in (("margin_pct", "margin %"), ("floor_pct", "floor %")):
        if column in df.columns:
            df[heading] = [pct_text(v) for v in df.pop(column)]
    return df


def trend_chart(rows: list[dict], *, key: str) -> None:
    """Margin per month, one line per currency (amounts in different currencies are never on
    one axis: one small chart each)."""
    if not rows:
        return
    data = pd.DataFrame({
        "month": [r["month"] for r in rows],
        "currency": [r["currency"] for r in rows],
        "margin": [float(Decimal(r["margin"])) for r in rows],     # drawing only
        "revenue": [float(Decimal(r["revenue"])) for r in rows],
    })
    for ccy in dict.fromkeys(data["currency"]):
        part = data[data["currency"] == ccy].melt(id_vars=["month"], value_vars=["revenue", "margin"],
                                                  var_name="what", value_name="amount")
        fig = px.line(part, x="month", y="amount", color="what", markers=True,
                      color_discrete_map={"revenue": "#9bb7d4", "margin": "#2f6f9f"})
        fig.update_layout(yaxis=dict(tickformat=",.0f", title=html_escape(ccy)), xaxis_title=None,
                          height=300, margin=dict(l=10, r=10, t=10, b=10), legend_title_text="")
        fig.update_xaxes(type="category")
        fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f} " + html_escape(ccy) + "<extra></extra>")
        st.plotly_chart(fig, key=f"{key}_{ccy}", config={"displayModeBar": False})


def below_floor(rows: list[dict]) -> None:
    """A warning naming the customers whose margin % is under the organisation's floor."""
    low = [r for r in rows if r.get("below_floor")]
    if not low:
        floor = next((r["floor_pct"] for r in rows if r.get("floor_pct") is not None), None)
        if floor is not None:
            st.caption(f"Every customer is at or above your margin floor of {floor} %.")
        return
    items = "\n".join(f"- **{md_escape(r['name'])}**: {pct_text(r['margin_pct'])} "
                      f"({md_escape(fmt(r['margin'], r['currency']))} on {md_escape(fmt(r['revenue'], r['currency']))})"
                      for r in low)
    st.warning(f"Below your margin floor of {low[0]['floor_pct']} %:\n\n{items}",
               icon=":material/trending_down:")


# ---------------------------------------------------------------------------------------------
# What-if

def whatif_plans(username: str) -> list[dict]:
    """The plans the user's organisation sells on (not cached: a save must show at once)."""
    with cursor() as con:
        return plans_for_whatif(con, q.scope_for_user(con, username))


def run_whatif(username: str, period: date, plan: dict) -> tuple[list[dict] | None, list[str]]:
    """(rows, []) or (None, the problems as sentences): an invalid plan is told, never raised."""
    with cursor() as con:
        who = q.scope_for_user(con, username)
        try:
            return what_if(con, who, period, plan), []
        except ConfigError as exc:
            return None, [_issue_sentence(i) for i in exc.issues]
        except WhatIfError as exc:
            return None, [str(exc)]


def _issue_sentence(issue) -> str:
    where = issue.path if issue.path and issue.path != "(plan)" else "the plan"
    return f"{where}: {issue.message}"


def problems(sentences: list[str]) -> None:
    st.error("The changed plan cannot be priced:\n\n" + "\n".join(f"- {md_escape(s)}" for s in sentences))


def plan_text(plan: dict) -> str:
    """The plan as YAML text for the audited save (components.plans.save)."""
    return plan_yaml(plan)


WHATIF_MONEY = ["current_subtotal", "new_subtotal", "difference", "current_margin", "new_margin"]
BASES = ["list", "contracted", "effective", "cost"]
TIER_MODES = {"": "No tiers", "graduated": "Graduated", "volume": "Volume"}
CREDITS = {"retain": "Retained (margin)", "pass_through": "Passed through at cost"}
COMMITMENTS = {"pass_through": "Pass through (amortised)", "retain": "Retain (on-demand list)",
               "share": "Share a percentage"}


def editor(rows: list[dict], columns: tuple[str, ...], *, key: str, choices: dict[str, list[str]] | None = None
           ) -> list[dict]:
    """An editable table of text cells (numbers stay text, so they stay exact), rows added or
    removed freely; `choices`: columns picked from a list. Returns the rows as the user left them."""
    df = pd.DataFrame([{c: (None if r.get(c) is None else str(r.get(c))) for c in columns} for r in rows],
                      columns=list(columns), dtype=object)
    config = {c: st.column_config.TextColumn(c) for c in columns}
    for c, options in (choices or {}).items():
        config[c] = st.column_config.SelectboxColumn(c, options=options)
    edited = st.data_editor(df, num_rows="dynamic", key=key, column_config=config, hide_index=True,
                            width="stretch")
    return edited.to_dict("records")


def results_table(rows: list[dict], names: dict[str, str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows or [])
    if not df.empty:
        df.insert(1, "name", [names.get(b, b) for b in df["buyer"]])
    return df

