"""The QBR page's pieces (pages/12_QBR.py, docs/qbr.md): cached scoped reads, the pickers, every
section drawn, the next-steps editor and the PDF download.

Reads go through the scoped access layer (queries.reports.qbr) keyed by the signed-in username
and the configuration version, as components/cached.py does; the next steps are read uncached,
so a save shows at once. The customer and quarter, from the widget, session state or the URL
(`?customer=…&quarter=2026Q3`), must be among the user's own choices before anything is read,
and the layer checks them again. Amounts arrive exact and become floats only in the charts,
whose every label is HTML-escaped (Plotly reads markup in labels).
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from components import tables
from components.cached import _keyed
from components.errors import refuse
from components.money import fmt, number
from components.pickers import NOT_YOURS_CUSTOMER, _checked_select
from components.store import cursor
from components.tables import _sweep_later
from components.text import html_escape, md_escape
from data import qbr as qbr_store
from queries.reports import qbr as reports
from queries.scope import scope_for_user

COLOUR = "#2f6f9f"
NOTABLE_COLOUR = "#b02a37"
NOT_YOURS_QUARTER = "There is nothing to review for that quarter. Pick one from the list."


# --- reads ---------------------------------------------------------------------------------------

@_keyed
def review_customers(username: str, version: int) -> list[dict]:
    with cursor() as con:
        return reports.review_customers(con, scope_for_user(con, username))


@_keyed
def review_quarters(username: str, version: int) -> list[str]:
    with cursor() as con:
        return [q.label for q in reports.review_quarters(con, scope_for_user(con, username))]


@_keyed
def review(username: str, version: int, customer_id: str, quarter: str) -> dict:
    with cursor() as con:
        return reports.qbr_report(con, scope_for_user(con, username), customer_id, quarter)


def next_steps(username: str, customer_id: str, quarter: str) -> dict:
    """Not cached: the account manager who just saved wants to see the save."""
    with cursor() as con:
        return reports.next_steps(con, scope_for_user(con, username), customer_id, quarter)


# --- pickers -------------------------------------------------------------------------------------

def pick_customer(username: str, *, key: str) -> dict:
    """One of the customers the user may review (URL parameter `customer`)."""
    customers = review_customers(username)
    if not customers:
        refuse("There is no customer you can prepare a review for. Account managers review the "
               "customers assigned to them by name; ask an administrator.")
    by_id = {c["id"]: c for c in customers}
    chosen = _checked_select("Customer", list(by_id), key=key, param="customer",
                             parse=lambda raw: raw.strip(), show=lambda cid: by_id[cid]["name"],
                             to_param=str, refusal=NOT_YOURS_CUSTOMER)
    return by_id[chosen]


def _quarter(raw: str) -> str | None:
    try:
        return reports.parse_quarter(raw).label
    except ValueError:
        return None


def pick_quarter(username: str, *, key: str) -> str:
    """A quarter holding a billed month, newest first (URL parameter `quarter`, e.g. 2026Q3)."""
    quarters = review_quarters(username)
    if not quarters:
        refuse("There is no billed period yet. Once provider data is ingested it shows here.")
    return _checked_select("Quarter", quarters, key=key, param="quarter", parse=_quarter,
                           show=lambda q: reports.parse_quarter(q).title + f" ({q})",
                           to_param=str, refusal=NOT_YOURS_QUARTER)


# --- sections ------------------------------------------------------------------------------------

def _month(p) -> str:
    return p.strftime("%b %Y")


def headline(r: dict) -> None:
    ccy = r["currency"]
    if r["final"]:
        st.badge("Every month invoiced — final", icon=":material/verified:", color="green")
    else:
        st.badge("Includes months not yet invoiced — may still change", icon=":material/schedule:",
                 color="orange")
    total, previous, change = st.columns(3)
    total.metric(f"Quarter total ({r['quarter']})", fmt(r["total"], ccy))
    previous.metric(f"Previous quarter ({r['previous_quarter']})",
                    fmt(r["previous_total"], ccy) if r["previous_total"] is not None else "—")
    change.metric("Change", fmt(r["change"], ccy) if r["change"] is not None else "—")
    st.caption("Totals are the invoices' subtotals before tax, as on the Costs and Invoices pages.")


def spend(r: dict, *, key: str) -> None:
    ccy = r["currency"]
    st.subheader("Spend by month and provider")
    months = r["months"]
    labels = [_month(m["period"]) for m in months]
    rows = []
    for name in r["providers"]:
        rows.append({"Provider": name, **{lb: m["providers"].get(name) for lb, m in zip(labels, months)},
                     "Quarter": r["provider_totals"][name]})
    rows.append({"Provider": "Total (invoice subtotals)",
                 **{lb: m["subtotal"] for lb, m in zip(labels, months)}, "Quarter": r["total"]})
    chart, table = st.container(), st.container()     # stacked: the table needs the width
    with chart:
        data = pd.DataFrame([{"month": lb, "provider": html_escape(name), "amount": float(amount)}
                             for lb, m in zip(labels, months)
                             for name, amount in m["providers"].items()])
        if not data.empty:
            fig = px.bar(data, x="month", y="amount", color="provider",
                         category_orders={"month": labels,
                                          "provider": [html_escape(p) for p in r["providers"]]})
            fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=None,
                              yaxis=dict(tickformat=",.0f", title=html_escape(ccy)),
                              legend_title_text="")
            fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f} " + html_escape(ccy))
            st.plotly_chart(fig, key=f"{key}_chart", config={"displayModeBar": False})
    with table:
        tables.show(pd.DataFrame(rows), money_columns=[*labels, "Quarter"], currency=ccy,
                    key=f"{key}_table")
        st.caption(" · ".join(
            f"{lb}: " + (f"invoice {m['number']}" if m["final"] else
                         "draft, not yet issued" if m["billed"] else "not billed yet")
            for lb, m in zip(labels, months)))


def _movers_frame(rows: list[dict], what: str, r: dict) -> pd.DataFrame:
    return pd.DataFrame([{what: m["key"], r["previous_quarter"]: m["previous"],
                          r["quarter"]: m["current"], "Change": m["change"],
                          "Change %": "new" if m["change_pct"] is None else f"{m['change_pct']} %"}
                         for m in rows],
                        columns=[what, r["previous_quarter"], r["quarter"], "Change", "Change %"])


def movers(r: dict, *, key: str) -> None:
    ccy = r["currency"]
    st.subheader(f"Biggest movers against {r['previous_quarter']}")
    money = [r["previous_quarter"], r["quarter"], "Change"]
    if r["comparison_note"]:
        st.caption(md_escape(r["comparison_note"]))
    st.markdown("**By service**")
    tables.show(_movers_frame(r["movers_service"], "Service", r), money_columns=money,
                currency=ccy, key=f"{key}_service")
    st.markdown("**By sub-account**")
    tables.show(_movers_frame(r["movers_sub_account"], "Sub-account", r), money_columns=money,
                currency=ccy, key=f"{key}_sub_account")


def drivers(r: dict, *, key: str) -> None:
    ccy = r["currency"]
    st.subheader(f"Top cost drivers in {r['title']}")
    rows = r["drivers"]
    chart, table = st.columns([2, 3])
    with chart:
        if rows:
            data = pd.DataFrame({"service": [html_escape(d["key"]) for d in rows][::-1],
                                 "amount": [float(d["amount"]) for d in rows][::-1]})
            fig = px.bar(data, x="amount", y="service", orientation="h",
                         color_discrete_sequence=[COLOUR])
            fig.update_layout(height=90 + 30 * len(rows), margin=dict(l=10, r=10, t=10, b=10),
                              xaxis=dict(tickformat=",.0f", title=html_escape(ccy)), yaxis_title=None)
            fig.update_traces(hovertemplate="%{y}<br>%{x:,.2f} " + html_escape(ccy) + "<extra></extra>")
            st.plotly_chart(fig, key=f"{key}_chart", config={"displayModeBar": False})
    with table:
        tables.show(pd.DataFrame([{"Service": d["key"], "Spend": d["amount"],
                                   "Share of usage": "" if d["share_pct"] is None else f"{d['share_pct']} %"}
                                  for d in rows], columns=["Service", "Spend", "Share of usage"]),
                    money_columns=["Spend"], currency=ccy, key=f"{key}_table")
    st.caption("Movers and drivers are the Costs page's breakdown (usage at the customer's price, "
               "before fees), summed over the quarter.")


def notable(r: dict, *, key: str) -> None:
    ccy = r["currency"]
    st.subheader("Notable days")
    st.caption(md_escape(r["rule"]))
    if r["daily"]:
        data = pd.DataFrame({"day": pd.to_datetime([d["day"] for d in r["daily"]]),
                             "amount": [float(d["spend"]) for d in r["daily"]],
                             "kind": ["notable" if d["notable"] else "usual" for d in r["daily"]]})
        fig = px.bar(data, x="day", y="amount", color="kind",
                     color_discrete_map={"usual": COLOUR, "notable": NOTABLE_COLOUR})
        fig.update_layout(height=280, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=None,
                          yaxis=dict(tickformat=",.0f", title=html_escape(ccy)), legend_title_text="")
        fig.update_traces(hovertemplate="%{x|%d %b %Y}<br>%{y:,.2f} " + html_escape(ccy))
        st.plotly_chart(fig, key=f"{key}_chart", config={"displayModeBar": False})
    rows = [{"Day": n["day"], "Spend": n["spend"], "Median": n["median"], "Threshold": n["threshold"],
             "Services behind it": "; ".join(f"{s['service']} {number(s['spend'], ccy)} "
                                             f"(+{number(s['excess'], ccy)})" for s in n["services"])}
            for n in r["notable"]]
    if rows:
        tables.show(pd.DataFrame(rows), money_columns=["Spend", "Median", "Threshold"], currency=ccy,
                    key=f"{key}_table")
    else:
        st.caption("No day of the quarter met the rule.")


def hooks(r: dict, *, key: str) -> None:
    """Sections other work provides (issue #12 budgets, #15 commitments), when present."""
    for name, title in (("budget", "Budget against actual"), ("commitments", "Commitment coverage")):
        rows = r.get(name)
        if rows:
            st.subheader(title)
            tables.show(pd.DataFrame([{"Month": _month(row["period"]),
                                       **{k: v for k, v in row.items() if k != "period"}}
                                      for row in rows]), key=f"{key}_{name}")


# --- next steps and the pack ----------------------------------------------------------------------

def next_steps_editor(username: str, customer_id: str, quarter: str, *, key: str) -> None:
    """The list the account manager edits: one step a line, saved and audited on submit."""
    st.subheader("Next steps")
    saved = next_steps(username, customer_id, quarter)
    # keyed by user too: text typed and not saved never reaches the next user of this browser
    where = f"{customer_id}_{quarter}_{username}"
    with st.form(key=f"{key}_form_{where}", border=False):
        text = st.text_area("One step a line (printed in the PDF pack)", value="\n".join(saved["steps"]),
                            height=140, key=f"{key}_text_{where}",
                            max_chars=qbr_store.MAX_STEPS * (qbr_store.MAX_STEP_CHARS + 1))
        submitted = st.form_submit_button("Save next steps", icon=":material/save:")
    if submitted:
        with cursor() as con:
            stored = qbr_store.save_next_steps(con, scope_for_user(con, username), customer_id,
                                               quarter, text)
        st.success(f"Saved {len(stored)} next step{'s' if len(stored) != 1 else ''}.")
    elif saved["updated_by"]:
        st.caption(md_escape(f"Last saved by {saved['updated_by']} on "
                             f"{saved['updated_at']:%Y-%m-%d %H:%M} UTC."))


def pack_button(username: str, customer_id: str, quarter: str, *, key: str) -> None:
    """The branded PDF pack, made only when clicked, in the user's scope (as components/documents.py)."""
    def make() -> bytes:
        with cursor() as con:
            data = qbr_store.qbr_pack(con, scope_for_user(con, username), customer_id, quarter)[1]
        _sweep_later()
        return data
    st.download_button("Download the QBR pack (PDF)", make,
                       file_name=qbr_store.pack_file_name(customer_id, quarter),
                       mime="application/pdf", key=f"{key}_{customer_id}_{quarter}",
                       icon=":material/picture_as_pdf:", on_click="ignore", type="primary")
