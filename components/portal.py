"""The cost portal's building blocks (issue #12, docs/portal.md): the seller's brand and the
"viewing as" band, the month at a glance, the filters kept in the URL, and the period's
documents. Everything shown comes from the scoped layer (components.cached → queries.reports.
portal); text from configuration or provider data is escaped (components/text.py).
"""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import streamlit as st

from components import cached, pickers
from components.documents import _deferred, invoice_buttons
from components.money import fmt
from components.text import html_escape, md_escape
from queries.reports import portal as reports

UNTAGGED = "\x00untagged"        # the tag-value option "untagged" (rows without a value)
UNTAGGED_PARAM = "~untagged"     # …as the URL spells it; a real value starting with '~' gets '~~'


# --- brand ------------------------------------------------------------------------------------

def brand_band(brand: dict, *, page: str) -> None:
    """The seller's logo, display name and accent colour above the page, the browser tab titled
    with its name; and for an administrator or account manager opening a customer, a band saying
    whose view this is."""
    st.set_page_config(page_title=f"{page} · {brand['display_name']}")
    accent = brand["accent"]                       # validated #RRGGBB (data/documents/branding.py)
    logo = (f'<img src="{html_escape(brand["logo"])}" alt="" style="height:34px;max-width:180px;'
            f'object-fit:contain">' if brand["logo"] else "")
    st.html(f'<div class="tl-brand" style="display:flex;align-items:center;gap:14px;'
            f'border-bottom:3px solid {accent};padding:4px 0 8px 0">{logo}'
            f'<span style="font-size:1.05rem;font-weight:600;color:{accent}">'
            f'{html_escape(brand["display_name"])}</span></div>')
    if brand["viewing_as"]:
        st.html(f'<div class="tl-viewing-as" role="status" style="background:{accent};color:#fff;'
                f'padding:8px 14px;border-radius:6px;font-weight:600">Viewing as '
                f'{html_escape(brand["customer_name"])} — what this customer sees in its portal, '
                f'at its own prices</div>')


# --- the month at a glance ----------------------------------------------------------------------

def _signed(amount, currency: str) -> str:
    text = fmt(amount, currency)
    return text if amount < 0 else f"+{text}"


def glance(g: dict, period: date) -> None:
    """Status, total, forecast, change and freshness of one customer's month."""
    s, f, change = g["summary"], g["forecast"], g["change"]
    ccy = s["currency"]
    if s["final"]:
        st.badge(f"Invoiced — final · invoice {s['number']}", icon=":material/verified:",
                 color="green")
    elif s["status"] == "draft":
        st.badge("Month to date — not final", icon=":material/schedule:", color="orange")
    else:
        st.badge("No charges billed for this month yet", icon=":material/info:", color="gray")
    total, second, third, fourth = st.columns(4)
    total.metric("Total", fmt(s["total"], ccy),
                 help="The invoice's total: issued, or the draft the month's data makes so far.")
    if s["final"]:
        second.metric("Subtotal", fmt(s["subtotal"], ccy))
        third.metric("Tax", fmt(s["tax"], ccy))
    else:
        second.metric("Forecast to month end", fmt(f["expected"], ccy),
                      help="Expected invoice total for the whole month, tax included (method "
                           "below).")
        second.caption(f"Range {fmt(f['low'], ccy)} – {fmt(f['high'], ccy)}")
        third.metric("Tax so far", fmt(s["tax"], ccy))
    if change is not None:
        first, last = change["previous_days"]
        pct = f"{change['pct']:+} %" if change["pct"] is not None else None
        fourth.metric(f"Usage vs {first.day}–{last.day} {last:%b}", _signed(change["change"], ccy),
                      delta=pct, delta_color="inverse",
                      help=f"Usage at your prices from {change['days'][0]:%d %b} to "
                           f"{change['days'][1]:%d %b}: {fmt(change['current'], ccy)}, against "
                           f"{fmt(change['previous'], ccy)} on the same days of {first:%B}.")
    else:
        fourth.metric("Usage vs previous month", "—",
                      help="The previous month is not billed here, so there is nothing to compare.")
    if not s["final"]:
        st.caption(f"**Forecast method:** {md_escape(f['method'])}")
    if g["freshness"]:
        st.caption("**Data:** " + " · ".join(md_escape(x["text"]) for x in g["freshness"]))
    else:
        st.caption(f"No provider data is loaded for {period:%B %Y} yet; it shows here once the "
                   f"providers' files are ingested.")


# --- filters ------------------------------------------------------------------------------------

def _tag_value_param(value: str) -> str:
    if value == UNTAGGED:
        return UNTAGGED_PARAM
    return "~" + value if value.startswith("~") else value


def _tag_value_parse(raw: str) -> str | None:
    if raw == UNTAGGED_PARAM:
        return UNTAGGED
    if raw.startswith("~~"):
        return raw[1:]
    return None if raw.startswith("~") else raw


def filters(username: str, customer_id: str, period: date, *, key: str) -> reports.Filters:
    """Sub-account, service, region, tag key and tag value, composed and mirrored in the URL
    (`?sub_account=…&service=…&region=…&tag=…&tag_value=…`). Each value, from the widget or
    the URL, must be one of the customer's own for the month (else one sentence, no data), and
    is checked again by the scoped layer when the data is read."""
    options = cached.portal_options(username, customer_id, period)
    ctx = f"{key}_{customer_id}_{period:%Y%m}"
    a, b, c, d, e = st.columns(5)
    with a:
        sub = pickers.filter_choice("Sub-account", options["sub_accounts"], key=f"{ctx}_sub",
                                    param="sub_account", refusal=reports.NOT_SUB_ACCOUNT)
    with b:
        service = pickers.filter_choice("Service", options["services"], key=f"{ctx}_service",
                                        param="service", refusal=reports.NOT_SERVICE)
    with c:
        region = pickers.filter_choice("Region", options["regions"], key=f"{ctx}_region",
                                       param="region", refusal=reports.NOT_REGION)
    with d:
        tag = pickers.filter_choice("Tag", sorted(options["tags"]), key=f"{ctx}_tag", param="tag",
                                    refusal=reports.NOT_TAG_KEY)
    with e:
        values = [UNTAGGED, *options["tags"].get(tag, [])] if tag is not None else []
        value = pickers.filter_choice(
            "Tag value", values, key=f"{ctx}_tag_value_{tag}", param="tag_value",
            refusal=reports.NOT_TAG_VALUE, show=lambda v: "untagged" if v == UNTAGGED else v,
            to_param=_tag_value_param, parse=_tag_value_parse)
    return reports.Filters(sub_account=sub, service=service, region=region, tag_key=tag,
                           tag_value=None if value in (None, UNTAGGED) else value,
                           untagged=value == UNTAGGED)


def breakdown_table(costs, by: str, tag_key: str | None):
    """The breakdown as the table shows it: a tag's values under the key's name, "untagged" for
    the rows without one (the CSV keeps the data as it is)."""
    shown = costs.drop(columns=["rows"])
    if by == "tag":
        shown = shown.assign(x_TagValue=[("untagged" if v is None else v) for v in shown["x_TagValue"]])
        shown = shown.rename(columns={"x_TagValue": f"{tag_key}"})
    return shown


# --- documents ----------------------------------------------------------------------------------

def documents(username: str, summary: dict, customer: dict, period: date, *, key: str) -> None:
    """The issued invoice's PDF and lines, and the customer's FOCUS file of the month; each made
    only when clicked, in the user's scope (components/documents.py)."""
    if not summary["final"]:
        st.caption("The invoice PDF and the FOCUS export of this month can be downloaded once "
                   "its invoice is issued.")
        return
    invoice = {"invoice_id": summary["invoice_id"], "number": summary["number"],
               "period": period, "seller": None, "buyer": customer["id"]}
    invoice_buttons(username, invoice, key=key)

    def make(con, scope) -> bytes:
        from data.focus_export import export_focus  # pyarrow: loaded when a file is made
        with tempfile.TemporaryDirectory(prefix="tierline-focus-") as folder:
            out = Path(folder) / "focus.parquet"
            export_focus(con, scope, customer["id"], period, out)
            return out.read_bytes()

    st.download_button("FOCUS export (Parquet)", _deferred(make)(username),
                       file_name=f"{customer['id']}-{period:%Y-%m}-focus.parquet",
                       mime="application/vnd.apache.parquet", key=f"{key}_focus_{period:%Y%m}",
                       icon=":material/dataset:", on_click="ignore")


# --- budgets and the way to "why this price" ---------------------------------------------------

def budget_band(username: str, customer: dict, period: date) -> None:
    """The customer's budgets against the month (queries/reports/budgets.py): one line each with
    a bar, the forecast and the alerts raised; nothing when the customer has none. Users who see
    only part of the invoice (cost groups, some of a reseller's customers) are not shown it."""
    from components import explain
    from components.errors import ScopeError

    try:
        status = explain.budget_status(username, customer["id"], period)
    except ScopeError:
        return
    for b in status:
        used = b["pct"]
        label = (f"Budget · {md_escape(b['label'])}: {fmt(b['actual'], b['currency'])} of "
                 f"{fmt(b['amount'], b['currency'])}")
        if used is not None:
            label += f" ({used:.0f} %)"
        if b["forecast"] is not None:
            label += f" · forecast {fmt(b['forecast'], b['currency'])}"
        if b["alerts"]:
            label += " · alerts: " + ", ".join(md_escape(explain.budget_reports.alert_text(t)) for t in b["alerts"])
        fraction = 0.0 if used is None else float(min(max(used, 0), 100)) / 100   # a bar only
        st.progress(fraction, text=label)
    if status:
        st.page_link("pages/9_Budgets.py", label="Budgets and alerts", icon=":material/savings:",
                     query_params={"customer": customer["id"], "period": f"{period:%Y-%m}"})


def why_link(customer: dict, period: date) -> None:
    """To the Why this price page for this customer and month: pick a charge there."""
    st.page_link("pages/10_Why_this_price.py", label="Why is a charge priced as it is?",
                 icon=":material/help:",
                 query_params={"customer": customer["id"], "period": f"{period:%Y-%m}"})
