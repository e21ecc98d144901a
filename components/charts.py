"""Charts with plotly: the one place floats appear. Amounts arrive exact (Decimal, a decimal
string, or the scope layer's `<name>_chart` float twin) and become floats here, for drawing only.
Amounts in different currencies are never drawn on one axis: one small chart per currency.

Plotly reads a subset of HTML in every label, legend and hover text (`<a href>`, `<b>`, `<br>`),
and category names come from provider data and configuration (service, organisation, region
names): every text is escaped here, in `_label`, before it reaches a figure or a caption, so a
`ServiceName` holding `<a href=…>` shows those characters and never becomes a link.
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.express as px
import streamlit as st

from components.text import html_escape, md_escape

COLOUR = "#2f6f9f"
VALUE_COLUMNS = {"currency", "price", "price_chart", "revenue", "cost", "margin", "rows"}


def _plot_value(v) -> float:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return 0.0
    return float(v if isinstance(v, (int, float)) else Decimal(str(v)))


def _label(value) -> str:
    """Any text bound for a figure: Plotly shows the characters, interprets no markup."""
    return html_escape(value)


def _category(df: pd.DataFrame, columns: list[str]) -> list[str]:
    return [_label(" · ".join(str(v) for v in row if v is not None and not pd.isna(v)) or "(none)")
            for row in df[columns].itertuples(index=False)]


def bar(df: pd.DataFrame, value: str, *, by: list[str] | None = None, key: str | None = None,
        top: int = 15) -> None:
    """Bars of `value` per category (the `by` columns joined; default: every non-value column).
    Days are drawn in date order, anything else largest first, at most `top` bars per chart."""
    if df.empty or value not in df.columns:
        return
    by = by or [c for c in df.columns if c not in VALUE_COLUMNS]
    data = pd.DataFrame({
        "category": _category(df, by),
        "currency": df["currency"].astype(str).tolist() if "currency" in df.columns else [""] * len(df),
        "amount": [_plot_value(v) for v in df[value]],
    })
    if by == ["day"]:
        data["category"] = pd.to_datetime(df["day"].to_numpy())
    currencies = list(dict.fromkeys(data["currency"]))
    if len(currencies) == 1:
        _draw(data, currencies[0], by == ["day"], top, key)
        return
    for i, ccy in enumerate(currencies):
        if i % 3 == 0:
            cols = st.columns(3)
        with cols[i % 3]:
            st.caption(md_escape(ccy))
            _draw(data[data["currency"] == ccy], ccy, by == ["day"], top,
                  f"{key}_{ccy}" if key else None)


def _draw(data: pd.DataFrame, currency: str, by_day: bool, top: int, key: str | None) -> None:
    if by_day:
        fig = px.bar(data, x="category", y="amount", color_discrete_sequence=[COLOUR])
        fig.update_layout(yaxis=dict(tickformat=",.0f", title=_label(currency)), xaxis_title=None,
                          height=340)
        hover = "%{x|%d %b %Y}<br>%{y:,.2f} " + _label(currency)
    else:
        data = data.sort_values("amount", ascending=False).head(top).iloc[::-1]
        fig = px.bar(data, x="amount", y="category", orientation="h",
                     color_discrete_sequence=[COLOUR])
        fig.update_layout(xaxis=dict(tickformat=",.0f", title=_label(currency)), yaxis_title=None,
                          height=min(90 + 26 * len(data), 480))
        hover = "%{y}<br>%{x:,.2f} " + _label(currency)
    fig.update_traces(hovertemplate=hover + "<extra></extra>")
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10), bargap=0.3, showlegend=False)
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def stacked_days(df: pd.DataFrame, value: str, stack: str | None, *, currency: str,
                 key: str | None = None) -> None:
    """Daily bars of `value` (one currency: the month's), stacked by the `stack` column's
    categories (provider or service), or plain when `stack` is None."""
    if df.empty or value not in df.columns:
        return
    data = pd.DataFrame({
        "day": pd.to_datetime(df["day"].to_numpy()),
        "amount": [_plot_value(v) for v in df[value]],
        "part": [_label(v) for v in df[stack]] if stack else [""] * len(df),
    })
    fig = px.bar(data, x="day", y="amount", color="part" if stack else None,
                 color_discrete_sequence=None if stack else [COLOUR])
    fig.update_layout(yaxis=dict(tickformat=",.0f", title=_label(currency)), xaxis_title=None,
                      height=340, barmode="stack", legend_title_text="",
                      legend=dict(orientation="h", y=-0.15), showlegend=bool(stack),
                      margin=dict(l=10, r=10, t=10, b=10), bargap=0.2)
    fig.update_traces(hovertemplate="%{x|%d %b %Y}<br>%{y:,.2f} " + _label(currency)
                      + "<extra>%{fullData.name}</extra>")
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def months(records: list[dict], *, key: str | None = None) -> None:
    """One bar per month's invoice total (`total_chart`), issued solid and drafts lighter; one
    chart per currency (a customer's currency may have changed)."""
    if not records:
        return
    data = pd.DataFrame({
        "month": [r["period"].strftime("%b %Y") for r in records],
        "amount": [_plot_value(r["total_chart"]) for r in records],
        "state": ["issued" if r["status"] == "issued" else "to date" for r in records],
        "currency": [r["currency"] for r in records],
    })
    for ccy in dict.fromkeys(data["currency"]):
        part = data[data["currency"] == ccy]
        fig = px.bar(part, x="month", y="amount", color="state",
                     color_discrete_map={"issued": COLOUR, "to date": "#9dbcd4"})
        fig.update_layout(yaxis=dict(tickformat=",.0f", title=_label(ccy)), xaxis_title=None,
                          height=300, legend_title_text="", margin=dict(l=10, r=10, t=10, b=10),
                          bargap=0.3, xaxis=dict(type="category"))
        fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f} " + _label(ccy) + "<extra></extra>")
        st.plotly_chart(fig, key=f"{key}_{ccy}" if key else None, config={"displayModeBar": False})
