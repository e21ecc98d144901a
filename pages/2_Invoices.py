"""Invoices: the drafts and issued invoices the user may see, one invoice's lines, its PDF and
lines CSV, and a seller's accounting files for the period (components/documents.py)."""
import streamlit as st

from components import cached, documents, pickers, tables
from components.auth import require
from components.errors import user_errors
from components.money import fmt, percent
from components.nav import ALL_ROLES

user = require(roles=ALL_ROLES, title="Invoices")

LIST_COLUMNS = ["number", "status", "period", "seller_name", "buyer_name", "currency",
                "subtotal", "tax", "total"]

st.title("Invoices")
with user_errors():
    period = pickers.period(user.username, key="invoices_period", allow_all=True)
    listing = cached.invoices(user.username, period)
    frame = tables.frame(listing, LIST_COLUMNS)
    tables.show(frame, money_columns=["subtotal", "tax", "total"], key="invoices_list")
    tables.csv_download(frame, "invoices.csv", key="invoices_list_csv")
    documents.accounting_buttons(user, period, listing, key="invoices_accounting")

    if listing:
        st.subheader("Invoice")
        invoice_id = pickers.invoice(listing, key="invoices_pick",
                                     context=f"{period:%Y%m}" if period else "all")
        detail = cached.invoice_detail(user.username, invoice_id)
        currency = detail["currency"]
        if detail["final"]:
            st.badge(f"Issued {detail['issued_at']:%Y-%m-%d}", icon=":material/verified:",
                     color="green")
        else:
            st.badge("Draft — month to date, not final", icon=":material/schedule:",
                     color="orange")
        total, subtotal, tax = st.columns(3)
        total.metric("Total", fmt(detail["total"], currency))
        subtotal.metric("Subtotal", fmt(detail["subtotal"], currency))
        tax.metric(f"Tax ({percent(detail['tax_rate_pct'])})", fmt(detail["tax"], currency))
        lines = tables.frame(detail["lines"],
                             ["line_no", "kind", "description", "provider", "service", "amount"])
        tables.show(lines, money_columns=["amount"], currency=currency, key="invoices_lines")
        tables.csv_download(lines, f"invoice-{detail['number'] or detail['invoice_id']}.csv",
                            key="invoices_lines_csv")
        documents.invoice_buttons(user.username, detail, key="invoices_doc")
