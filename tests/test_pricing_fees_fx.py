"""Fees (fixed, percentage of priced usage) and FX rates (explicit, per period and pair)."""

from datetime import date

import pytest

from pricing.fees import compute_fee, validate_fees
from pricing.fx import FxTable, MissingRate, validate_rates
from pricing.money import Amount, D
from pricing.plans import Fee

JUNE = date(2025, 6, 1)


@pytest.mark.parametrize("fee, usage, unrounded", [
    (Fee("Managed service", amount=D("500.00")), "9500.00", "500.00"),
    (Fee("Managed service", amount=D("500.00")), "0", "500.00"),             # fixed: whatever the usage
    (Fee("Support 3 %", pct_of_usage=D("3")), "9500.00", "285.0000000000"),
    (Fee("Support 3 %", pct_of_usage=D("3")), "1234.5678", "37.0370340000"),
    (Fee("Support 3 %", pct_of_usage=D("3")), "-100.00", "-3.0000000000"),   # usage net of refunds
    (Fee("Half", pct_of_usage=D("50")), "0.0000000001", "0.0000000001"),     # ledger(0.00000000005): half up
    (Fee("Half", pct_of_usage=D("50")), "-0.0000000001", "-0.0000000001"),   # … away from zero
])
def test_compute_fee(fee, usage, unrounded):
    result = compute_fee(fee, D(usage))
    assert result.name == fee.name
    assert result.unrounded == D(unrounded)


def test_fee_breakdown():
    assert compute_fee(Fee("Support", pct_of_usage=D("3")), D("9500.00")).detail == {
        "type": "pct_of_usage", "pct": "3", "usage": "9500.00", "amount": "285.0000000000"}
    assert compute_fee(Fee("Managed", amount=D("500.00")), D("1")).detail == {"type": "fixed", "amount": "500.00"}


def test_fee_with_both_amounts_is_refused():
    with pytest.raises(ValueError, match="exactly one"):
        compute_fee(Fee("Odd", amount=D("1"), pct_of_usage=D("1")), D("100"))


@pytest.mark.parametrize("fees, expected", [
    ([Fee("Managed", amount=D("500")), Fee("Support", pct_of_usage=D("3"))], []),
    ([Fee("Odd")], [("fees[0]", "exactly one")]),
    ([Fee("Odd", amount=D("1"), pct_of_usage=D("1"))], [("fees[0]", "exactly one")]),
    ([Fee("Refund", amount=D("-5"))], [("fees[0].amount", "negative")]),
    ([Fee("A", amount=D("1")), Fee("A", amount=D("2"))], [("fees[1].name", "two fees")]),
    ([Fee(" ", amount=D("1"))], [("fees[0].name", "needs a name")]),
])
def test_validate_fees(fees, expected):
    issues = validate_fees(fees)
    assert [p for p, _ in issues] == [p for p, _ in expected]
    for (_, message), (_, fragment) in zip(issues, expected):
        assert fragment in message


FX = FxTable({(JUNE, "USD", "EUR"): D("0.9234567891"), (JUNE, "USD", "JPY"): D("151.2345")})


@pytest.mark.parametrize("period, pair, rate", [
    (JUNE, ("USD", "EUR"), "0.9234567891"),
    (date(2025, 6, 17), ("USD", "EUR"), "0.9234567891"),     # any day of the period
    (JUNE, ("USD", "JPY"), "151.2345"),
    (JUNE, ("EUR", "EUR"), "1"),
    (date(1999, 1, 1), ("GBP", "GBP"), "1"),
])
def test_rate(period, pair, rate):
    assert FX.rate(period, *pair) == D(rate)


@pytest.mark.parametrize("period, pair", [
    (JUNE, ("EUR", "USD")),             # never inverted
    (JUNE, ("EUR", "JPY")),             # never triangulated through USD
    (date(2025, 7, 1), ("USD", "EUR")),  # one rate per period
])
def test_missing_rate_names_pair_and_period(period, pair):
    with pytest.raises(MissingRate) as caught:
        FX.rate(period, *pair)
    message = str(caught.value)
    assert f"{pair[0]}→{pair[1]}" in message and period.strftime("%Y-%m") in message
    assert isinstance(caught.value, LookupError)


@pytest.mark.parametrize("amount, to_ccy, converted", [
    (Amount.of("100.00", "USD"), "EUR", Amount.of("92.3456789100", "EUR")),
    (Amount.of("9500", "USD"), "EUR", Amount.of("8772.8394964500", "EUR")),
    (Amount.of("0.00000000005", "USD"), "JPY", Amount.of("0.0000000076", "JPY")),  # 0.000000007561725 → 10 places
    (Amount.of("-95.00", "USD"), "JPY", Amount.of("-14367.2775", "JPY")),
    (Amount.of("12.34", "USD"), "USD", Amount.of("12.34", "USD")),
])
def test_convert_keeps_ledger_precision(amount, to_ccy, converted):
    assert FX.convert(amount, to_ccy, JUNE) == converted


def test_validate_rates():
    bad = {(date(2025, 6, 2), "USD", "EUR"): D("0.9"), (JUNE, "USD", "USD"): D("1"), (JUNE, "USD", "GBP"): D("0")}
    assert [p for p, _ in validate_rates(bad)] == [
        "fx_rates[2025-06-01 USD->GBP].rate", "fx_rates[2025-06-01 USD->USD]", "fx_rates[2025-06-02 USD->EUR].period"]
    assert validate_rates(FX.rates) == []
