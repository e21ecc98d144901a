"""Accounting files (data/documents/accounting.py): headers as the importers document them,
item amounts that add up to each subtotal, a journal that balances, formula-safe text.

The sample invoice (data/documents/sample.py), USD at 8.25 %: lines 4210.37, 1288.05, 2034.90,
930.12, 2475.44, −112.50, −250.00 (credit), 500.00 and 323.91 (fees), −41.27 (correction);
subtotal 11,359.02, tax 937.12, total 12,296.14. Its credit note: 250.00 + tax 20.63 = 270.63.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.documents.accounting import (
    JOURNAL_COLUMNS,
    LINES_COLUMNS,
    QUICKBOOKS_COLUMNS,
    XERO_COLUMNS,
    csv_text,
    journal_csv,
    lines_csv,
    quickbooks_csv,
    xero_csv,
)
from data.documents.branding import AccountingCodes
from data.documents.sample import sample_branding, sample_credit_note, sample_invoice
from pricing.money import D

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1+1", "\uff1dHYPERLINK(\"x\")",
           '<a href="http://evil.example">x</a>', "emoji \U0001F680 end", "z" * 500]


def read(data: bytes) -> tuple[list[str], list[dict]]:
    text = data.decode("utf-8")
    assert "\r\n" in text                        # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(r) == len(rows[0]) for r in rows)       # no cell broke a row apart
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def sellers(**codes):
    return {"msp-one": sample_branding(accounting=AccountingCodes(**codes))}


def invoices():
    usd = sample_invoice("USD")
    jpy = sample_invoice("JPY", tax_rate_pct="0")
    jpy.update(invoice_id=43, number="MSP-ONE-000043", buyer="tailspin", buyer_name="Tailspin Toys KK")
    return [usd, jpy]


# --- headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("export,header", [
    (quickbooks_csv, ["InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Item(Product/Service)",
                      "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount", "ItemTaxCode", "Currency"]),
    (xero_csv, ["ContactName", "InvoiceNumber", "InvoiceDate", "DueDate", "Description", "Quantity",
                "UnitAmount", "AccountCode", "TaxType", "Currency"]),
    (journal_csv, ["date", "account", "debit", "credit", "currency", "memo", "invoice"]),
    (lines_csv, list(LINES_COLUMNS)),
])
def test_headers_exactly_as_documented(export, header):
    got, rows = read(export(invoices(), sellers=sellers()))
    assert got == header
    assert rows
    assert (tuple(header) in (QUICKBOOKS_COLUMNS, XERO_COLUMNS, JOURNAL_COLUMNS, LINES_COLUMNS))


# --- sums -------------------------------------------------------------------------------------

@pytest.mark.parametrize("export,number,amount", [
    (quickbooks_csv, "InvoiceNo", "ItemAmount"),
    (xero_csv, "InvoiceNumber", "UnitAmount"),
    (lines_csv, "number", "amount"),
])
def test_item_amounts_add_up_to_each_subtotal(export, number, amount):
    usd, jpy = invoices()
    note = sample_credit_note(usd)
    _, rows = read(export([usd, jpy], [note], sellers=sellers()))
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[row[number]] += D(row[amount])
    assert sums == {"MSP-ONE-000042": D("11359.02"), "MSP-ONE-000043": D("1703854"),
                    "MSP-ONE-CN-000001": D("-250.00")}


def test_quickbooks_rows():
    _, rows = read(quickbooks_csv(invoices()[:1], sellers=sellers(date_format="%m/%d/%Y")))
    assert rows[0] == {"InvoiceNo": "MSP-ONE-000042", "Customer": "Contoso Ltd", "InvoiceDate": "06/01/2026",
                       "DueDate": "07/01/2026", "Item(Product/Service)": "Cloud services",
                       "ItemDescription": "AWS Amazon Elastic Compute Cloud", "ItemQuantity": "1",
                       "ItemRate": "4210.37", "ItemAmount": "4210.37", "ItemTaxCode": "TAX", "Currency": "USD"}
    items = [(r["Item(Product/Service)"], r["ItemAmount"]) for r in rows[6:]]
    assert items == [("Cloud credits", "-250.00"), ("Service fees", "500.00"), ("Service fees", "323.91"),
                     ("Billing corrections", "-41.27")]


def test_xero_rows_and_credit_note():
    usd = invoices()[0]
    note = sample_credit_note(usd)
    _, rows = read(xero_csv([usd], [note], sellers=sellers(revenue_fee="260", xero_taxable="Tax on Sales 8.25%")))
    assert rows[0] == {"ContactName": "Contoso Ltd", "InvoiceNumber": "MSP-ONE-000042", "InvoiceDate": "01/06/2026",
                       "DueDate": "01/07/2026", "Description": "AWS Amazon Elastic Compute Cloud", "Quantity": "1",
                       "UnitAmount": "4210.37", "AccountCode": "4000", "TaxType": "Tax on Sales 8.25%",
                       "Currency": "USD"}
    assert [r["AccountCode"] for r in rows[7:9]] == ["260", "260"]
    assert rows[-1] == {"ContactName": "Contoso Ltd", "InvoiceNumber": "MSP-ONE-CN-000001",
                        "InvoiceDate": "15/06/2026", "DueDate": "15/06/2026",
                        "Description": "Credit for invoice MSP-ONE-000042: Service outage on 12 May 2026 (SLA credit)",
                        "Quantity": "1", "UnitAmount": "-250.00", "AccountCode": "4000",
                        "TaxType": "Tax on Sales 8.25%", "Currency": "USD"}


def test_untaxed_invoice_gets_the_exempt_codes():
    jpy = invoices()[1]
    _, qbo = read(quickbooks_csv([jpy], sellers=sellers()))
    _, xero = read(xero_csv([jpy], sellers=sellers()))
    assert {r["ItemTaxCode"] for r in qbo} == {"NON"} and {r["TaxType"] for r in xero} == {"Tax Exempt"}
    assert qbo[0]["ItemAmount"] == "631556"           # JPY: no decimals


# --- journal ----------------------------------------------------------------------------------

def test_journal_balances_per_document_and_posts_what_the_invoice_says():
    usd, jpy = invoices()
    note = sample_credit_note(usd)
    _, rows = read(journal_csv([usd, jpy], [note], sellers=sellers(date_format="%Y-%m-%d")))
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        assert (row["debit"] == "") != (row["credit"] == "")      # one side per row
        by_doc[row["invoice"]].append(row)
    for number, doc_rows in by_doc.items():
        debit = sum((D(r["debit"]) for r in doc_rows if r["debit"]), Decimal(0))
        credit = sum((D(r["credit"]) for r in doc_rows if r["credit"]), Decimal(0))
        assert debit == credit, number
    inv = by_doc["MSP-ONE-000042"]
    assert inv[0] == {"date": "2026-06-01", "account": "1200", "debit": "12296.14", "credit": "",
                      "currency": "USD", "memo": "Invoice MSP-ONE-000042 to Contoso Ltd", "invoice": "MSP-ONE-000042"}
    assert inv[-1]["account"] == "2200" and inv[-1]["credit"] == "937.12"
    # negative lines (correction, credit) are debits to revenue
    assert [(r["account"], r["debit"]) for r in inv if r["debit"] and r["account"] != "1200"] == \
        [("4000", "112.50"), ("4000", "250.00"), ("4000", "41.27")]
    assert [(r["account"], r["credit"]) for r in inv if r["account"] == "4100"] == [("4100", "500.00"), ("4100", "323.91")]
    # the credit note reverses: revenue and tax debited, receivables credited
    cn = by_doc["MSP-ONE-CN-000001"]
    assert [(r["account"], r["debit"], r["credit"]) for r in cn] == [
        ("1200", "", "270.63"), ("4000", "250.00", ""), ("2200", "20.63", "")]
    assert cn[0]["date"] == "2026-06-15"
    # JPY without tax: no zero tax posting
    assert [r["account"] for r in by_doc["MSP-ONE-000043"]].count("2200") == 0


# --- hostile text -----------------------------------------------------------------------------

def test_csv_text_neutralises_formulas():
    assert [csv_text(v) for v in HOSTILE[:6]] == [
        "'=cmd|' /C calc'!A0", "'+SUM(A1:A9)", "'-2+3", "'@SUM(1)", "'=1+1", "'\uff1dHYPERLINK(\"x\")"]
    assert csv_text("AWS credits") == "AWS credits"
    assert csv_text("line\r\nbreak\x00") == "line break"


@pytest.mark.parametrize("export,column,shown", [
    (lines_csv, "description", "'=cmd|' /C calc'!A0"),
    (quickbooks_csv, "ItemDescription", "'=cmd|' /C calc'!A0"),
    (xero_csv, "Description", "'=cmd|' /C calc'!A0"),
    (journal_csv, "memo", "Invoice MSP-ONE-000042 to =HYPERLINK(\"http://evil\"): =cmd|' /C calc'!A0"),
])
def test_hostile_descriptions_are_neutralised_in_every_file(export, column, shown):
    lines = [{"line_no": i, "kind": "service", "description": text, "provider": "AWS", "service": text,
              "amount": D("1.00"), "detail": None} for i, text in enumerate(HOSTILE, start=1)]
    inv = sample_invoice("EUR", lines=lines, tax_rate_pct="0")
    inv.update(buyer_name="=HYPERLINK(\"http://evil\")")
    _, rows = read(export([inv], sellers=sellers()))
    for row in rows:
        for key, value in row.items():
            if key in ("amount", "subtotal", "tax", "total", "debit", "credit", "ItemRate", "ItemAmount",
                       "UnitAmount"):
                continue                            # our own numbers: '-250.00' stays a number
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d")), (key, value)
    texts = [r[column] for r in rows]
    assert shown in texts
    assert any("z" * 500 in t for t in texts)         # nothing cut in the CSV
    assert any("\U0001F680" in t for t in texts)      # UTF-8 keeps every character


def test_drafts_only_in_the_lines_file():
    draft = sample_invoice(status="draft")
    _, rows = read(lines_csv([draft]))
    assert {r["status"] for r in rows} == {"draft"} and {r["number"] for r in rows} == {""}
    for export in (quickbooks_csv, xero_csv, journal_csv):
        with pytest.raises(ValueError, match="is a draft; only issued invoices"):
            export([draft])


def test_an_invoice_that_does_not_add_up_is_refused():
    inv = sample_invoice()
    inv["lines"][0]["amount"] += D("0.01")
    with pytest.raises(ValueError, match="lines add up to 11359.03 but its subtotal is 11359.02"):
        journal_csv([inv])


def test_seller_without_branding_gets_the_defaults():
    _, rows = read(xero_csv(invoices()[:1]))
    assert rows[0]["AccountCode"] == "4000" and rows[0]["TaxType"] == "Tax on Sales"
    assert rows[0]["InvoiceDate"] == "01/06/2026" and rows[0]["DueDate"] == "01/07/2026"   # 30 days


# --- any text at all --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(text=st.text(st.characters(codec=None, exclude_categories=()), max_size=200))
def test_any_text_is_one_safe_cell(text):
    inv = sample_invoice("EUR", tax_rate_pct="0", lines=[
        {"line_no": 1, "kind": "service", "description": text, "provider": text, "service": text,
         "amount": D("1.00"), "detail": None}])
    inv.update(buyer_name=text)
    for export in (lines_csv, quickbooks_csv, xero_csv, journal_csv):
        _, rows = read(export([inv]))
        for row in rows:
            for value in row.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r")) and "\n" not in value
