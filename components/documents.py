"""Invoice document downloads on the Invoices page (issue #11): the selected invoice as its
branded PDF and as a lines CSV, and, for the administrators and leaders of a seller, the
period's accounting files (QuickBooks, Xero, journal).

Every file is made only when its button is clicked (Streamlit's deferred download, the pattern
and lifetime rules of components/tables.py: issue #9, item 9), from the signed-in username:
the click rebuilds the scope on the server and reads through the scoped layer
(data.documents.export), so a button never carries data the user may not see, and what the
page shows decides nothing.
"""
from __future__ import annotations

from datetime import date

import streamlit as st

from components.store import cursor
from components.tables import _sweep_later
from data.documents import export
from queries.scope import scope_for_user

ACCOUNTING_LABELS = {"quickbooks": "QuickBooks (CSV)", "xero": "Xero (CSV)", "journal": "Journal (CSV)"}


def _deferred(make):
    """`make(con, scope)` → bytes, run when the button is clicked, in the user's scope."""
    def run(username: str):
        def data() -> bytes:
            with cursor() as con:
                out = make(con, scope_for_user(con, username))
            _sweep_later()
            return out
        return data
    return run


def invoice_buttons(username: str, invoice: dict, *, key: str) -> None:
    """PDF and lines CSV of one invoice the user sees (the dict the scoped layer returned)."""
    iid = invoice["invoice_id"]
    pdf, csv = st.columns(2)
    with pdf:
        st.download_button(
            "Invoice PDF", _deferred(lambda con, sc: export.invoice_pdf(con, sc, iid)[1])(username),
            file_name=export.invoice_file_name(invoice, "pdf"), mime="application/pdf",
            key=f"{key}_pdf_{iid}", icon=":material/picture_as_pdf:", on_click="ignore")
    with csv:
        st.download_button(
            "Invoice lines (CSV)", _deferred(lambda con, sc: export.invoice_lines_csv(con, sc, iid)[1])(username),
            file_name=export.invoice_file_name(invoice, "csv"), mime="text/csv",
            key=f"{key}_csv_{iid}", icon=":material/download:", on_click="ignore")


def accounting_buttons(user, period: date | None, listing: list[dict], *, key: str) -> None:
    """The period's accounting files of the user's own organisation as a seller: shown to its
    administrators and leaders when the period has issued invoices of it (the click checks both
    again on the server)."""
    if period is None or not user.has_role(*export.ACCOUNTING_ROLES):
        return
    if not any(inv["seller"] == user.org and inv["status"] == "issued" for inv in listing):
        return
    st.subheader("Accounting files")
    st.caption(f"The issued invoices {user.org_name} sent for {period:%B %Y}, for import into "
               f"your accounting system (codes from the configuration's branding).")
    columns = st.columns(len(ACCOUNTING_LABELS))
    for column, (fmt, label) in zip(columns, ACCOUNTING_LABELS.items()):
        def make(con, sc, fmt=fmt) -> bytes:
            return export.period_files(con, sc, period, fmt, seller=user.org)[0][1]
        with column:
            st.download_button(
                label, _deferred(make)(user.username), file_name=f"{fmt}-{period:%Y-%m}-{user.org}.csv",
                mime="text/csv", key=f"{key}_{fmt}_{period:%Y%m}", icon=":material/download:",
                on_click="ignore")
