"""A sample invoice, credit note and branding for tests, docs and a first look at the template.

`python -m data.documents.sample out.pdf` writes the sample invoice; docs/invoices.md shows it
rendered (docs/invoice-sample.png, made with `pdftoppm -png -r 110 -singlefile`).
"""
from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from data.documents.branding import SVG, Branding, Logo, Party
from pricing.money import HUNDRED, D, round_line

# A small vector mark: two offset squares and the word, in the accent colour.
LOGO_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64">
<rect x="2" y="8" width="40" height="40" rx="6" fill="#0B5CAD"/>
<rect x="20" y="22" width="40" height="40" rx="6" fill="#5AA9F0" fill-opacity="0.85"/>
<text x="72" y="46" font-family="Helvetica" font-size="34" font-weight="bold" fill="#0B3D6E">MSP One</text>
</svg>"""


def sample_branding(**overrides) -> Branding:
    values = dict(
        display_name="MSP One Inc.",
        address_lines=("400 Market Street, Suite 1200", "San Francisco, CA 94111", "United States"),
        tax_id="US 94-1234567",
        logo=Logo(LOGO_SVG, SVG),
        accent_colour="#0B5CAD",
        payment_terms_days=30,
        footer_text="MSP One Inc. \u00b7 400 Market Street, San Francisco \u00b7 billing@msp-one.example \u00b7 "
                    "Bank: First Example Bank, IBAN US00 EXAM 0000 1234 5678 90",
        invoice_prefix="MSP-ONE-",
        credit_note_prefix="MSP-ONE-CN-",
        email="billing@msp-one.example",
    )
    values.update(overrides)
    return Branding(**values)


def sample_buyer(**overrides) -> Party:
    values = dict(name="Contoso Ltd", address_lines=("12 Harbour Road", "Dublin D02 XY45", "Ireland"),
                  tax_id="IE 6388047V", billing_email="accounts@contoso.example")
    values.update(overrides)
    return Party(**values)


def _line(no: int, kind: str, description: str, amount: str, provider=None, service=None) -> dict:
    return {"line_no": no, "kind": kind, "description": description, "provider": provider,
            "service": service, "amount": D(amount), "detail": None}


def sample_invoice(currency: str = "USD", *, status: str = "issued", tax_rate_pct: str = "8.25",
                   lines: list[dict] | None = None) -> dict:
    """An invoice as queries.scope.invoice_detail returns it, with service, credit, fee and
    correction lines, in `currency` (JPY amounts scaled to yen)."""
    if lines is None:
        raw = [
            ("service", "AWS Amazon Elastic Compute Cloud", "4210.37", "AWS", "Amazon Elastic Compute Cloud"),
            ("service", "AWS Amazon Simple Storage Service", "1288.05", "AWS", "Amazon Simple Storage Service"),
            ("service", "AWS Amazon Relational Database Service", "2034.90", "AWS", "Amazon Relational Database Service"),
            ("service", "Google Cloud Compute Engine", "930.12", "Google Cloud", "Compute Engine"),
            ("service", "Microsoft Azure Virtual Machines", "2475.44", "Microsoft", "Virtual Machines"),
            ("service", "Microsoft Azure Virtual Machines (correction of 2026-04)", "-112.50", "Microsoft",
             "Virtual Machines (correction of 2026-04)"),
            ("credit", "AWS credits", "-250.00", "AWS", None),
            ("fee", "Managed service fee", "500.00", None, None),
            ("fee", "Support 3%", "323.91", None, None),
            ("correction", "Correction to 2026-04 (invoice MSP-ONE-000031)", "-41.27", None, None),
        ]
        # a yen invoice is about 150 yen to the dollar; other currencies take the numbers as they are
        factor = 150 if currency == "JPY" else 1
        lines = [{**_line(no, kind, desc, "0", provider, service),
                  "amount": round_line(D(amount) * factor, currency)}
                 for no, (kind, desc, amount, provider, service) in enumerate(raw, start=1)]
    subtotal = sum((ln["amount"] for ln in lines if ln["kind"] != "tax"), Decimal(0))
    rate = D(tax_rate_pct)
    tax = round_line(subtotal * rate / HUNDRED, currency)
    issued = status == "issued"
    return {
        "invoice_id": 42, "number": "MSP-ONE-000042" if issued else None, "period": date(2026, 5, 1),
        "seller": "msp-one", "seller_name": "MSP One", "buyer": "contoso", "buyer_name": "Contoso Ltd",
        "currency": currency, "status": status, "final": issued, "subtotal": subtotal,
        "tax_rate_pct": rate, "tax": tax, "total": subtotal + tax,
        "issued_at": datetime(2026, 6, 1, 9, 30) if issued else None, "lines": lines,
    }


def sample_credit_note(invoice: dict, amount: str = "250.00", reason: str = "Service outage on 12 May 2026 "
                       "(SLA credit)") -> dict:
    ccy = invoice["currency"]
    value = round_line(D(amount) * (150 if ccy == "JPY" else 1), ccy)
    tax = round_line(value * invoice["tax_rate_pct"] / HUNDRED, ccy)
    return {"number": "MSP-ONE-CN-000001", "invoice_number": invoice["number"], "invoice_id": invoice["invoice_id"],
            "seller": invoice["seller"], "seller_name": invoice["seller_name"], "buyer": invoice["buyer"],
            "buyer_name": invoice["buyer_name"], "period": invoice["period"], "currency": ccy,
            "reason": reason, "amount": value, "tax_rate_pct": invoice["tax_rate_pct"], "tax": tax,
            "total": value + tax, "issued_at": datetime(2026, 6, 15, 14, 0), "lines": None}


def main(argv: list[str]) -> int:
    from data.documents.pdf import render_invoice_pdf
    out = Path(argv[1] if len(argv) > 1 else "invoice-sample.pdf")
    out.write_bytes(render_invoice_pdf(sample_invoice(), sample_branding(), sample_buyer(),
                                       issue_date=date(2026, 6, 1), due_date=date(2026, 7, 1)))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
