"""Money: Decimal from strings only, one rounding rule, currencies never mixed silently."""

from decimal import Decimal

import pytest

from pricing.money import Amount, D, calc, ledger, round_line, round_to_total


def test_D_builds_from_strings_ints_and_decimals():
    assert D("9500.00") == Decimal("9500.00")
    assert D(" -0.005 ") == Decimal("-0.005")
    assert D(12) == Decimal(12)
    assert D(Decimal("1.10")) == Decimal("1.10")


@pytest.mark.parametrize("bad, error", [(0.1, TypeError), (1.5, TypeError), (True, TypeError), ("ten", ValueError)])
def test_D_refuses_floats_bools_and_text(bad, error):
    with pytest.raises(error):
        D(bad)


@pytest.mark.parametrize("number, currency, line", [
    # half away from zero, once, to the minor unit
    ("100.005", "USD", "100.01"),
    ("-100.005", "USD", "-100.01"),
    ("100.00499999", "USD", "100.00"),
    ("-0.004", "EUR", "0.00"),
    ("1234.5", "JPY", "1235"),
    ("-1234.5", "JPY", "-1235"),
    ("1.2345", "KWD", "1.235"),
    ("9500", "GBP", "9500.00"),
])
def test_round_line_half_away_from_zero(number, currency, line):
    got = round_line(D(number), currency)
    assert got == D(line)
    assert got.as_tuple().exponent == D(line).as_tuple().exponent


@pytest.mark.parametrize("number, ten_places", [
    ("0.00000000005", "0.0000000001"),
    ("-0.00000000005", "-0.0000000001"),
    ("0.00000000004999", "0.0000000000"),
    ("12345678901234567890123456.12345678905", "12345678901234567890123456.1234567891"),
])
def test_ledger_keeps_ten_places(number, ten_places):
    got = ledger(D(number))
    assert got == D(ten_places)
    assert got.as_tuple().exponent == -10


def test_calc_keeps_wide_products_exact():
    amount = D("1000000000000000000000000001")     # 10^27 + 1
    rate = D("1000000001")                         # 10^9 + 1
    with calc():
        product = amount * rate
    assert product == D(10**36 + 10**27 + 10**9 + 1)   # 37 digits, the last one kept
    assert amount * rate != product                      # the default 28-digit context rounds it


def test_amount_refuses_mixing_currencies_and_floats():
    usd, eur = Amount.of("10.00", "USD"), Amount.of("5.00", "EUR")
    assert usd + Amount.of("0.01", "USD") == Amount.of("10.01", "USD")
    assert usd - Amount.of("0.01", "USD") == Amount.of("9.99", "USD")
    with pytest.raises(ValueError, match="USD and EUR"):
        usd + eur
    with pytest.raises(ValueError):
        usd - eur
    with pytest.raises(TypeError):
        Amount(1.5, "USD")
    with pytest.raises(ValueError):
        Amount.of("1", "XXQ")
    assert Amount.of("-2.005", "USD").rounded() == Amount.of("-2.01", "USD")


@pytest.mark.parametrize("parts, currency, total, shown", [
    # the reconciliation case of issue #14: rounded one by one the terms show 17,562.78
    (["14762.865", "0", "0", "2799.905"], "USD", "17562.77", ["14762.87", "0.00", "0.00", "2799.90"]),
    # the largest remainder gets the missing cent, not the first part
    (["1.001", "1.004", "1.004"], "EUR", "3.01", ["1.00", "1.01", "1.00"]),
    # negative parts: cut toward minus infinity, then topped up
    (["-0.0025", "-0.0025"], "USD", "-0.01", ["0.00", "-0.01"]),
    (["10.00", "-2.50", "0.125"], "GBP", "7.63", ["10.00", "-2.50", "0.13"]),
    # parts already on the minor unit never move; JPY has none
    (["100", "200.4", "0.4"], "JPY", "301", ["100", "201", "0"]),   # tie: the earlier part
    ([], "USD", "0.00", []),
])
def test_round_to_total_shows_parts_that_add_up(parts, currency, total, shown):
    got_total, got = round_to_total([D(p) for p in parts], currency)
    assert got_total == D(total) and got == [D(s) for s in shown]
    assert sum(got, D("0")) == got_total
