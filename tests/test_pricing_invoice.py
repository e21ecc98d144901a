"""Invoice assembly (docs/pricing.md §7): lines rounded once, subtotal = Σ lines, tax on the subtotal."""

from datetime import date

import pytest

from pricing.invoice import assemble_invoice
from pricing.money import D
from pricing.plans import Band, Fee, Tiers
from pricing.tiers import apply_tiers

JUNE = date(2025, 6, 1)
MANAGED = Fee("Managed service", amount=D("500.00"))
SUPPORT = Fee("Support 3 %", pct_of_usage=D("3"))


def invoice(currency="USD", tax="0", services=None, credits=None, usage="0", fees=(), tier=None):
    return assemble_invoice(
        seller="res", buyer="cust", period=JUNE, currency=currency, tax_rate_pct=D(tax),
        service_sums={k: D(v) for k, v in (services or {}).items()},
        credit_sums={k: D(v) for k, v in (credits or {}).items()},
        priced_usage=D(usage), fees=fees, tier=tier)


def lines(inv):
    return [(l.kind, l.description, str(l.unrounded), str(l.amount)) for l in inv.lines]


def test_full_invoice_ledger_style():
    inv = invoice(
        tax="10",
        services={("Microsoft", "Virtual Machines"): "0", ("AWS", "Amazon S3"): "3799.996",
                  ("AWS", "Amazon EC2"): "5700.004"},
        credits={"AWS": "-100.005"},
        usage="9500.00", fees=(MANAGED, SUPPORT))
    assert lines(inv) == [
        # kind      description           unrounded          amount
        ("service", "AWS Amazon EC2",      "5700.004",        "5700.00"),
        ("service", "AWS Amazon S3",       "3799.996",        "3800.00"),
        # Microsoft Virtual Machines: 0 and no unrounded remainder → left out
        ("credit",  "AWS credits",         "-100.005",        "-100.01"),
        ("fee",     "Managed service",     "500.00",          "500.00"),
        ("fee",     "Support 3 %",         "285.0000000000",  "285.00"),
    ]
    assert inv.subtotal == D("10184.99")      # 5700.00 + 3800.00 − 100.01 + 500.00 + 285.00
    assert inv.tax == D("1018.50")            # 1018.499 → 1018.50
    assert inv.total == D("11203.49")
    assert (inv.seller, inv.buyer, inv.period, inv.currency) == ("res", "cust", JUNE, "USD")
    assert inv.lines[0].provider == "AWS" and inv.lines[0].service == "Amazon EC2"


@pytest.mark.parametrize("unrounded, amount", [
    ("100.005", "100.01"),      # the half-cent tie goes up …
    ("-100.005", "-100.01"),    # … and away from zero when negative
    ("100.0049999999", "100.00"),
    ("-0.0049999999", "0.00"),  # rounds to zero but is not zero: the line stays
])
def test_half_cent_tie(unrounded, amount):
    inv = invoice(services={("AWS", "Amazon EC2"): unrounded})
    assert lines(inv) == [("service", "AWS Amazon EC2", unrounded, amount)]
    assert inv.subtotal == inv.total == D(amount)


def test_jpy_has_no_minor_unit():
    inv = invoice(currency="JPY", tax="10", services={("AWS", "Amazon EC2"): "1234.5"})
    assert lines(inv) == [("service", "AWS Amazon EC2", "1234.5", "1235")]
    assert (inv.subtotal, inv.tax, inv.total) == (D("1235"), D("124"), D("1359"))   # tax 123.5 → 124


def test_bhd_has_three():
    inv = invoice(currency="BHD", tax="10", services={("AWS", "Amazon EC2"): "10.0005"})
    assert (inv.subtotal, inv.tax, inv.total) == (D("10.001"), D("1.000"), D("11.001"))   # tax 1.0001 → 1.000


def test_negative_invoice_tax_rounds_away_from_zero():
    inv = invoice(tax="5", services={("AWS", "Refund"): "-100.10"})
    assert (inv.subtotal, inv.tax, inv.total) == (D("-100.10"), D("-5.01"), D("-105.11"))   # −5.005 → −5.01


def test_zero_lines_and_fees_without_usage():
    inv = invoice(services={("AWS", "Amazon EC2"): "0"}, credits={"AWS": "0"}, usage="0",
                  fees=(SUPPORT, Fee("Nothing", amount=D("0"))))
    assert inv.lines == ()
    assert inv.subtotal == inv.tax == inv.total == D("0")
    tiny = invoice(usage="0.10", fees=(SUPPORT,))
    assert lines(tiny) == [("fee", "Support 3 %", "0.0030000000", "0.00")]


def test_tier_breakdown_on_first_service_line():
    tier = apply_tiers(Tiers("graduated", (Band(D("0"), D("0")), Band(D("10000"), D("2")))), D("12000"))
    inv = invoice(services={("AWS", "Amazon S3"): "4983.333333335", ("AWS", "Amazon EC2"): "6976.666666669"},
                  usage="11960.000000004", tier=tier)
    assert [l.detail for l in inv.lines[1:]] == [None]
    assert inv.lines[0].detail == {"tiers": {
        "mode": "graduated", "subtotal": "12000", "discount": "40", "factor": "0.996666666667",
        "bands": [{"band": 0, "from": "0", "to": "10000", "amount": "10000", "discount_pct": "0", "discount": "0"},
                  {"band": 1, "from": "10000", "to": None, "amount": "2000", "discount_pct": "2", "discount": "40"}]}}
    assert inv.tier is tier
    assert inv.subtotal == D("11960.00")      # 6976.67 + 4983.33
