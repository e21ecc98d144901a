"""The Invoices page's document downloads (issue #11), with AppTest: the selected invoice's PDF
and lines CSV for everyone who sees it; the period's QuickBooks, Xero and journal files for the
administrators and leaders of the seller only, and only for a period with issued invoices. Every
file is made at the click (a callable, never bytes on the page), in the clicking user's scope."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import streamlit as st

from tests.test_pages_apptest import errors, run, store  # noqa: F401  (store: the module fixture)

PAGE = "pages/2_Invoices.py"
ACCOUNTING = {"QuickBooks (CSV)", "Xero (CSV)", "Journal (CSV)"}


@pytest.fixture
def downloads(monkeypatch):
    """Every download button the page draws: {label: (data, file_name)}."""
    seen: dict[str, tuple] = {}
    real = st.download_button

    def spy(label, data, *args, **kwargs):
        seen[label] = (data, kwargs.get("file_name"))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return seen


def open_page(username: str, period) -> None:
    at = run(PAGE, username, query={"period": f"{period:%Y-%m}"})
    assert not at.exception and errors(at) == [], errors(at)


@pytest.mark.parametrize("username, accounting", [
    ("msp-admin", True), ("msp-leader", True), ("ch-admin", True), ("dist-admin", True),
    ("msp-am", False), ("contoso-user", False), ("rheinwerk-user", False),
])
def test_downloads_by_role_on_the_issued_period(store, downloads, username, accounting):  # noqa: F811
    open_page(username, store.periods[0])
    assert {"Invoice PDF", "Invoice lines (CSV)"} <= set(downloads)
    assert (ACCOUNTING <= set(downloads)) is accounting
    for label, (data, _name) in downloads.items():
        if label in ACCOUNTING or label.startswith("Invoice "):
            assert callable(data)                # made at the click, never held by the page


def test_no_accounting_files_for_a_period_of_drafts(store, downloads):  # noqa: F811
    open_page("msp-admin", store.periods[1])
    assert "Invoice PDF" in downloads and not ACCOUNTING & set(downloads)


def test_the_click_makes_the_user_s_own_documents(store, downloads):  # noqa: F811
    open_page("contoso-user", store.periods[0])
    data, name = downloads["Invoice PDF"]
    pdf = data()
    assert pdf.startswith(b"%PDF") and name.startswith("MSP1-") and name.endswith(".pdf")
    data, name = downloads["Invoice lines (CSV)"]
    rows = list(csv.DictReader(io.StringIO(data().decode("utf-8"))))
    assert rows and {r["buyer"] for r in rows} == {"contoso"}


def test_the_seller_s_accounting_files_hold_its_issued_invoices(store, downloads):  # noqa: F811
    open_page("bc-admin", store.periods[0])
    data, name = downloads["Xero (CSV)"]
    assert name == f"xero-{store.periods[0]:%Y-%m}-britcloud.csv"
    rows = list(csv.DictReader(io.StringIO(data().decode("utf-8"))))
    assert rows and all(r["InvoiceNumber"].startswith("BCP-") for r in rows)
    journal = list(csv.DictReader(io.StringIO(downloads["Journal (CSV)"][0]().decode("utf-8"))))
    assert sum(Decimal(r["debit"] or 0) for r in journal) == sum(Decimal(r["credit"] or 0) for r in journal)
