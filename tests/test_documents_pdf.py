"""The invoice PDF template (data/documents/pdf.py) and the branding it draws with.

Text is read back with poppler's pdftotext, pages with pdftoppm (apt: poppler-utils). The sample
invoice (data/documents/sample.py) has service, credit, fee and correction lines; its figures
below are worked by hand: USD subtotal 4210.37 + 1288.05 + 2034.90 + 930.12 + 2475.44 − 112.50
− 250.00 + 500.00 + 323.91 − 41.27 = 11,359.02; tax 8.25 % = 937.11915 → 937.12. In JPY every
line is ×150, rounded half away from zero (631,555.5 → 631,556; −6,190.5 → −6,191).
"""
from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from data.documents.branding import (
    PNG,
    SVG,
    AccountingCodes,
    Branding,
    Logo,
    Party,
    document_number,
    due_date,
    load_logo,
    logo_from_data_uri,
)
from data.documents.pdf import (
    DRAFT_TITLE,
    pdf_text,
    render_credit_note_pdf,
    render_invoice_pdf,
)
from data.documents.sample import (
    LOGO_SVG,
    sample_branding,
    sample_buyer,
    sample_credit_note,
    sample_invoice,
)
from pricing.money import D

ISSUE, DUE = date(2026, 6, 1), date(2026, 7, 1)
HOSTILE = [
    '<a href="http://evil.example/x">click</a>',
    "=cmd|' /C calc'!A0",
    "Compute \U0001F680\U0001F525 burst \u202egnp.exe\u202c \u200b\x00\x07 end",
    "Łódź 東京 Привет Ελλάδα",
    "x" * 500,
    "word " * 100,
]


@pytest.fixture(scope="module")
def poppler():
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.fail("pdftotext/pdftoppm are missing: apt-get install poppler-utils (a test prerequisite).")


def pdf_to_text(data: bytes, *, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-layout", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    out = subprocess.run([*args, "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def pages(data: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))


def squash(text: str) -> str:
    return " ".join(text.split())


def render(invoice, **kw) -> bytes:
    return render_invoice_pdf(invoice, kw.pop("seller", sample_branding()), kw.pop("buyer", sample_buyer()),
                              issue_date=kw.pop("issue_date", ISSUE), due_date=kw.pop("due_date", DUE))


# --- totals read back from the PDF -----------------------------------------------------------

TOTALS = [
    # currency, tax rate, line amounts as printed, subtotal, tax line, tax, total
    ("USD", "8.25", ["4,210.37", "1,288.05", "2,034.90", "930.12", "2,475.44", "-112.50", "-250.00",
                     "500.00", "323.91", "-41.27"], "USD 11,359.02", "Tax (8.25%)", "USD 937.12", "USD 12,296.14"),
    ("EUR", "19", ["4,210.37", "1,288.05", "2,034.90", "930.12", "2,475.44", "-112.50", "-250.00",
                   "500.00", "323.91", "-41.27"], "EUR 11,359.02", "Tax (19%)", "EUR 2,158.21", "EUR 13,517.23"),
    ("JPY", "10", ["631,556", "193,208", "305,235", "139,518", "371,316", "-16,875", "-37,500",
                   "75,000", "48,587", "-6,191"], "JPY 1,703,854", "Tax (10%)", "JPY 170,385", "JPY 1,874,239"),
]


@pytest.mark.parametrize("currency,rate,lines,subtotal,tax_label,tax,total", TOTALS)
def test_totals_on_the_pdf_are_the_invoice_figures(poppler, currency, rate, lines, subtotal, tax_label, tax, total):
    text = pdf_to_text(render(sample_invoice(currency, tax_rate_pct=rate)))
    flat = squash(text)
    assert f"Subtotal {subtotal}" in flat
    assert f"{tax_label} {tax}" in flat
    assert f"Total due {total}" in flat
    assert f"Amount ({currency})" in flat
    amounts = [m.group(1) for m in re.finditer(r"\s(-?[\d,]+(?:\.\d+)?)\s*$", text, re.MULTILINE)]
    assert amounts[:len(lines)] == sorted_like_pdf(lines)


def sorted_like_pdf(lines: list[str]) -> list[str]:
    """The sample's lines in the PDF's order: services by provider then service (EC2, RDS, S3;
    Compute Engine; Virtual Machines, its correction), then credits, fees, corrections."""
    return [lines[0], lines[2], lines[1], lines[3], lines[4], lines[5], lines[6], lines[7], lines[8], lines[9]]


def test_layout_groups_by_provider_then_service_and_sections(poppler):
    flat = squash(pdf_to_text(render(sample_invoice())))
    order = ["AWS", "Amazon Elastic Compute Cloud", "Amazon Relational Database Service",
             "Amazon Simple Storage Service", "Google Cloud", "Compute Engine", "Microsoft",
             "Virtual Machines", "Virtual Machines (correction of 2026-04)", "Credits", "AWS credits", "Fees",
             "Managed service fee", "Support 3%", "Corrections of earlier invoices",
             "Correction to 2026-04 (invoice MSP-ONE-000031)"]
    positions = [flat.index(part, flat.index("Description")) for part in order]
    assert positions == sorted(positions)
    for expected in ("INVOICE", "No. MSP-ONE-000042", "FROM", "MSP One Inc.", "BILL TO", "Contoso Ltd",
                     "Tax ID: IE 6388047V", "May 2026", "1 June 2026", "1 July 2026",
                     "Due by 1 July 2026 (30 days from the issue date).", "Page 1 of 1", "IBAN"):
        assert expected in flat, expected


def test_draft_says_it_is_not_a_tax_document(poppler):
    data = render(sample_invoice(status="draft"))
    flat = squash(pdf_to_text(data))
    assert DRAFT_TITLE in flat
    assert "DRAFT" in flat.replace(DRAFT_TITLE, "")          # the watermark
    assert "No. MSP-ONE" not in flat and "Total due" not in flat
    assert "Total USD 12,296.14" in flat
    issued = squash(pdf_to_text(render(sample_invoice())))
    assert "DRAFT" not in issued and "not a tax document" not in issued


def test_same_invoice_same_bytes_dated_by_the_invoice(poppler):
    inv = sample_invoice()
    first, second = render(inv), render(inv)
    assert first == second
    info = subprocess.run(["pdfinfo", "-isodates", "-"], input=first, capture_output=True, check=True).stdout.decode()
    assert "2026-06-01T09:30:00" in info
    assert "Invoice MSP-ONE-000042" in info        # the title metadata


def test_hostile_text_renders_and_is_tamed(poppler):
    lines = [{"line_no": i + 1, "kind": "service", "description": text, "provider": text if i == 3 else "AWS",
              "service": text, "amount": D("1.00"), "detail": None} for i, text in enumerate(HOSTILE)]
    lines.append({"line_no": 99, "kind": "fee", "description": HOSTILE[1], "provider": None, "service": None,
                  "amount": D("2.00"), "detail": None})
    inv = sample_invoice("EUR", lines=lines, tax_rate_pct="0")
    buyer = Party(name="Müller & Søn \u202e\U0001F600 <b>", address_lines=("Łódź\x00",), tax_id="PL 123")
    text = pdf_to_text(render(inv, buyer=buyer))
    flat = squash(text)
    assert '<a href="http://evil.example/x">click</a>' in flat          # shown as text, nothing more
    assert "=cmd|' /C calc'!A0" in flat
    assert "Lódz ?? Privet Ellada" in flat                             # transliterated; CJK as '?'
    assert "Müller & Søn ? <b>" in flat
    assert "\u202e" not in text and "\x00" not in text and "\x07" not in text
    assert "x" * 100 in flat.replace(" ", "")                         # long words wrap, not vanish
    assert "Total due EUR 8.00" in flat


def test_pdf_text_table():
    cases = [
        (None, ""),
        ("plain", "plain"),
        ("line\nbreak\ttab", "line break tab"),
        ("zero\u200bwidth\u202eRTL", "zerowidthRTL"),
        ("€ — “quoted” …", "€ — “quoted” …"),          # in Windows-1252
        ("Łukasz Đorđević ħ", "Lukasz Dordevic h"),
        ("Ωmega Ж", "Omega Zh"),
        ("東京 \U0001F680", "?? ?"),
        ("\u2212 5", "- 5"),
    ]
    for raw, expected in cases:
        assert pdf_text(raw) == expected, raw
    assert pdf_text("a" * 50, 10) == "a" * 9 + "…"


def test_many_lines_break_pages_and_repeat_the_table_header(poppler):
    lines = [{"line_no": i, "kind": "service", "description": f"AWS Service {i:03d}", "provider": "AWS",
              "service": f"Service {i:03d} " + ("with a long explanation " * (i % 4)), "amount": D("10.00"),
              "detail": None} for i in range(1, 121)]
    lines.append({"line_no": 200, "kind": "fee", "description": "Managed service fee", "provider": None,
                  "service": None, "amount": D("500.00"), "detail": None})
    data = render(sample_invoice(lines=lines, tax_rate_pct="0"))
    n = pages(data)
    assert n >= 3
    for page in range(1, n + 1):
        text = squash(pdf_to_text(data, first=page, last=page))
        assert "Description Amount (USD)" in text, page
        assert f"Page {page} of {n}" in text
        if page > 1:
            assert "Invoice MSP-ONE-000042 · Contoso Ltd · May 2026 (continued)" in text
    second = squash(pdf_to_text(data, first=2, last=2))
    assert "AWS (continued)" in second
    whole = squash(pdf_to_text(data))
    for i in range(1, 121):
        assert f"Service {i:03d}" in whole
    assert "Total due USD 1,700.00" in whole


def test_sample_page_has_the_accent_bar_and_logo(poppler, tmp_path):
    pdf = tmp_path / "sample.pdf"
    pdf.write_bytes(render(sample_invoice()))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page.png") as img:
        img = img.convert("RGB")
        assert img.getpixel((img.width // 2, 2)) == (0x0B, 0x5C, 0xAD)        # accent bar
        logo = img.crop((int(img.width * 0.09), int(img.height * 0.04), int(img.width * 0.35), int(img.height * 0.1)))
        assert any(px != (255, 255, 255) for px in logo.getdata())            # the logo is drawn


def test_png_logo_and_no_logo(poppler):
    buf = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(buf, format="PNG")
    with_png = render(sample_invoice(), seller=sample_branding(logo=Logo(buf.getvalue(), PNG)))
    without = render(sample_invoice(), seller=sample_branding(logo=None))
    assert "MSP One Inc." in squash(pdf_to_text(with_png))
    assert squash(pdf_to_text(without)).startswith("MSP One Inc.")           # name instead of logo


def test_credit_note(poppler):
    inv = sample_invoice()
    note = sample_credit_note(inv)            # 250.00 + 8.25 % = 20.625 → 20.63
    flat = squash(pdf_to_text(render_credit_note_pdf(note, inv, sample_branding(), sample_buyer(),
                                                     issue_date=date(2026, 6, 15))))
    for expected in ("CREDIT NOTE", "No. MSP-ONE-CN-000001", "Credit for invoice MSP-ONE-000042",
                     "Amount credited USD 250.00", "Tax (8.25%) USD 20.63", "Total credited USD 270.63",
                     "Service outage on 12 May 2026 (SLA credit)", "15 June 2026",
                     "reduces the amount due on invoice MSP-ONE-000042 by USD 270.63"):
        assert expected in flat, expected


@pytest.mark.parametrize("change,message", [
    (lambda n, i: n.update(total=n["total"] + D("0.01")), "is not the total"),
    (lambda n, i: n.update(amount=D("99999.00"), tax=D("8249.92"), total=D("108248.92")), "more than invoice"),
    (lambda n, i: n.update(invoice_number="MSP-ONE-000041"), "not MSP-ONE-000042"),
    (lambda n, i: i.update(status="draft"), "draft invoice"),
    (lambda n, i: n.update(amount=D("-5.00"), tax=D("-0.41"), total=D("-5.41")), "more than zero"),
])
def test_credit_note_refusals(change, message):
    inv = sample_invoice()
    note = sample_credit_note(inv)
    change(note, inv)
    with pytest.raises(ValueError, match=message):
        render_credit_note_pdf(note, inv, sample_branding(), sample_buyer(), issue_date=ISSUE)


@pytest.mark.parametrize("change,message", [
    (lambda i: i.update(subtotal=i["subtotal"] + D("1.00")), "lines add up to 11359.02 but its subtotal is 11360.02"),
    (lambda i: i.update(tax=D("937.11"), total=D("12296.13")), "tax 937.11 is not 8.25% of the subtotal"),
    (lambda i: i.update(total=D("1.00")), "is not the total 1.00"),
    (lambda i: i["lines"][0].update(amount=4210.37), "must be a Decimal amount, got float"),
    (lambda i: i["lines"][0].update(amount=D("4210.371")), "more decimal places than USD's 2"),
    (lambda i: i["lines"][0].update(kind="bonus"), "kind 'bonus'"),
    (lambda i: i.update(currency="XYZ"), "not an ISO 4217 code"),
    (lambda i: i.update(number=None), "issued but has no number"),
])
def test_an_invoice_that_does_not_add_up_is_refused(change, message):
    inv = sample_invoice()
    change(inv)
    with pytest.raises(ValueError, match=re.escape(message)):
        render(inv)


def test_tax_lines_in_the_list_are_not_counted_twice(poppler):
    inv = sample_invoice()
    inv["lines"].append({"line_no": 11, "kind": "tax", "description": "Sales tax 8.25%", "provider": None,
                         "service": None, "amount": inv["tax"], "detail": None})
    assert "Total due USD 12,296.14" in squash(pdf_to_text(render(inv)))


def test_due_date_before_issue_date_is_refused():
    with pytest.raises(ValueError, match="due_date 2026-05-01 is before issue_date 2026-06-01"):
        render(sample_invoice(), due_date=date(2026, 5, 1))


# --- branding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ({"accent_colour": "red"}, "accent_colour must be a colour written #RRGGBB"),
    ({"accent_colour": "#12345"}, "accent_colour"),
    ({"payment_terms_days": 366}, "payment_terms_days must be a whole number of days from 0 to 365"),
    ({"payment_terms_days": -1}, "payment_terms_days"),
    ({"payment_terms_days": True}, "payment_terms_days"),
    ({"display_name": "  "}, "display_name must not be empty"),
    ({"invoice_prefix": "INV 1"}, "invoice_prefix must be 1 to 24"),
    ({"credit_note_prefix": "MSP-ONE-"}, "credit_note_prefix must differ from invoice_prefix"),
    ({"address_lines": "one string"}, "address_lines must be a list of lines"),
    ({"email": "not-an-address"}, "email must be an e-mail address"),
    ({"logo": b"\x89PNG"}, "logo must be a Logo"),
])
def test_branding_refusals(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        sample_branding(**kwargs)


@pytest.mark.parametrize("data,mime,message", [
    (b"GIF89a....", PNG, "is not a PNG file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, PNG, "is not a readable PNG file"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect", SVG, "is not a usable SVG file"),
    (b"<html xmlns='x'></html>", SVG, "must start with '<?xml ' or '<svg '"),
    ((b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg" '
      b'width="10" height="10">&x;</svg>'), SVG, "is not a usable SVG file"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", SVG, "neither a width and height nor a viewBox"),
    (LOGO_SVG, "image/gif", "must be a PNG or SVG image"),
    (b"", PNG, "logo is empty"),
])
def test_logo_must_decode_as_what_it_says(data, mime, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Logo(data, mime)


def test_a_png_with_a_huge_canvas_is_refused():
    buf = io.BytesIO()
    Image.new("1", (5000, 10)).save(buf, format="PNG")
    with pytest.raises(ValueError, match="logo is 5000×10 pixels; at most 4000 on a side"):
        Logo(buf.getvalue(), PNG)


def test_logo_from_a_file_or_a_data_uri(tmp_path):
    (tmp_path / "logo.svg").write_bytes(LOGO_SVG)
    assert load_logo("logo.svg", tmp_path) == Logo(LOGO_SVG, SVG)
    uri = "data:image/svg+xml;base64," + base64.b64encode(LOGO_SVG).decode()
    assert load_logo(uri, tmp_path) == Logo(LOGO_SVG, SVG)
    assert logo_from_data_uri("data:image/svg+xml," + LOGO_SVG.decode().replace("#", "%23")).data == LOGO_SVG
    outside = tmp_path.parent / "outside.svg"
    outside.write_bytes(LOGO_SVG)
    for ref, message in [("../outside.svg", "is outside the configuration's folder"),
                         ("missing.png", "does not exist"), ("logo.gif", "must be a .png or .svg file"),
                         ("data:image/png;base64,@@@", "is not valid base64"),
                         ("data:text/html,<b>", "must be a PNG or SVG data URI")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            load_logo(ref, tmp_path)


def test_numbers_dates_and_codes():
    assert document_number("MSP-ONE-", 42) == "MSP-ONE-000042"
    assert due_date(date(2026, 6, 1), 30) == date(2026, 7, 1)
    assert due_date(date(2026, 6, 1), 0) == date(2026, 6, 1)
    plain = Branding.plain("msp-one", "MSP One")
    assert (plain.invoice_prefix, plain.credit_note_prefix, plain.payment_terms_days) == ("MSP-ONE-", "CN-MSP-ONE-", 30)
    codes = AccountingCodes.from_mapping({"revenue_fee": "4500", "date_format": "%m/%d/%Y"})
    assert (codes.revenue_account("fee"), codes.revenue_account("service"), codes.receivable) == ("4500", "4000", "1200")
    with pytest.raises(ValueError, match="unknown accounting setting 'revenue_fees'"):
        AccountingCodes.from_mapping({"revenue_fees": "4500"})
    with pytest.raises(ValueError, match="date_format must be one of"):
        AccountingCodes(date_format="%d.%m.%Y")
    with pytest.raises(ValueError, match="billing_email must be an e-mail address"):
        Party(name="X", billing_email="nobody")


# --- any text at all --------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(provider=ANY_TEXT, service=ANY_TEXT, fee=ANY_TEXT, name=ANY_TEXT.filter(lambda s: s.strip()),
       address=ANY_TEXT)
def test_any_unicode_renders(provider, service, fee, name, address):
    lines = [{"line_no": 1, "kind": "service", "description": f"{provider} {service}", "provider": provider,
              "service": service, "amount": D("12.34"), "detail": None},
             {"line_no": 2, "kind": "fee", "description": fee, "provider": None, "service": None,
              "amount": D("-0.34"), "detail": None}]
    data = render(sample_invoice("EUR", lines=lines, tax_rate_pct="0"),
                  buyer=Party(name=name[:200], address_lines=(address[:120],)))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
