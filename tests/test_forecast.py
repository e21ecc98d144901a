"""pricing/forecast.py with hand-computed numbers: the month's forecast and the comparison with
the same days of the month before (docs/portal.md)."""
from __future__ import annotations

from datetime import date

import pytest

from pricing.forecast import forecast_month, month_end, previous_period, same_days_change
from pricing.money import D

JUNE = date(2025, 6, 1)


def days(month: date, amounts: dict[int, str]) -> dict[date, object]:
    return {month.replace(day=d): D(v) for d, v in amounts.items()}


# period, through, daily, spent, fixed, tax %, fee %, currency →
#   expected, low, high, window, remaining days
CASES = {
    # 5–11 Jun: 10+12+8+10+14+6+10 = 70 → 10.00 a day; 30 − 12 = 18 days left.
    # expected: 150 + 500 + 10×18 = 830.00, tax 20 % 166.00 → 996.00
    # low: 6×18 = 108 → 758.00 + 151.60 = 909.60; high: 14×18 = 252 → 902.00 + 180.40 = 1082.40
    "seven days, fixed fee and tax": (
        JUNE, date(2025, 6, 12),
        days(JUNE, {5: "10", 6: "12", 7: "8", 8: "10", 9: "14", 10: "6", 11: "10", 12: "3"}),
        "150.00", "500.00", "20", "0", "EUR",
        "996.00", "909.60", "1082.40", (date(2025, 6, 5), date(2025, 6, 11)), 18),
    # Loaded to 4 Jun: complete days 1–3 only (2 Jun had no usage: 0). 30/3 = 10.00 a day;
    # 26 days × 10 × 1.03 (a 3 % fee) = 267.80 → 129.00 + 267.80 = 396.80;
    # low 0 → 129.00; high 20 × 26 × 1.03 = 535.60 → 664.60. The partial 4 Jun is not in the rate.
    "clipped to the month, percentage fee": (
        JUNE, date(2025, 6, 4), days(JUNE, {1: "20.00", 3: "10.00", 4: "99.00"}),
        "129.00", "0", "0", "3", "USD",
        "396.80", "129.00", "664.60", (date(2025, 6, 1), date(2025, 6, 3)), 26),
    # JPY, no minor unit: 7001/7 = 1000.142857… a day × 10 days = 10001.43 → 50000 + 10001.43
    # = 60001 (rounded once), tax 10 % = 6000.1 → 6000 → 66001.
    # low 1000 × 10 → 60000 + 6000 = 66000; high 1001 × 10 → 60010 + 6001 = 66011
    "yen, rounded once": (
        JUNE, date(2025, 6, 20),
        days(JUNE, {13: "1000", 14: "1000", 15: "1001", 16: "1000", 17: "1000", 18: "1000",
                    19: "1000"}),
        "50000", "0", "10", "0", "JPY",
        "66001", "66000", "66011", (date(2025, 6, 13), date(2025, 6, 19)), 10),
    # Every day loaded: nothing left to project; the invoice: 330 + 500 = 830, tax 166 → 996.00.
    "complete month": (
        JUNE, date(2025, 6, 30), days(JUNE, {29: "50", 30: "50"}),
        "330.00", "500.00", "20", "0", "EUR",
        "996.00", "996.00", "996.00", None, 0),
    # Only the 1st loaded: no complete day, so no run-rate: the month to date, 12.34 + 500.
    "first day only": (
        JUNE, date(2025, 6, 1), days(JUNE, {1: "12.34"}),
        "12.34", "500.00", "0", "0", "USD",
        "512.34", "512.34", "512.34", None, 29),
    "nothing loaded": (
        JUNE, None, {}, "0", "500.00", "0", "0", "USD",
        "500.00", "500.00", "500.00", None, 30),
}


@pytest.mark.parametrize("case", CASES)
def test_forecast_by_hand(case):
    (period, through, daily, spent, fixed, tax, fee, ccy,
     expected, low, high, window, remaining) = CASES[case]
    f = forecast_month(period=period, through=through, daily=daily, spent=D(spent),
                       fixed_fees=D(fixed), tax_rate_pct=D(tax), fee_pct=D(fee), currency=ccy)
    assert (f.expected, f.low, f.high) == (D(expected), D(low), D(high))
    assert f.window == window and f.remaining_days == remaining and f.currency == ccy
    assert f.complete == (remaining == 0)
    assert f.method                                   # named on the page


def test_forecast_method_names_the_run_rate():
    f = forecast_month(period=JUNE, through=date(2025, 6, 12),
                       daily=days(JUNE, {d: "10" for d in range(1, 13)}), spent=D("120"),
                       fixed_fees=D("500.00"), tax_rate_pct=D("20"), currency="EUR")
    assert f.rate == D("10")
    assert f.method.startswith("Run-rate of the last 7 complete days (5 Jun–11 Jun: 10.00 EUR a day)")
    assert "× 18 remaining days" in f.method and "tax at 20 %" in f.method


def test_forecast_refuses_floats_and_days_of_other_months():
    with pytest.raises(TypeError):
        forecast_month(period=JUNE, through=None, daily={}, spent=12.5, fixed_fees=D("0"),
                       currency="USD")
    with pytest.raises(TypeError):
        forecast_month(period=JUNE, through=None, daily={date(2025, 6, 1): 1.0}, spent=D("0"),
                       fixed_fees=D("0"), currency="USD")
    with pytest.raises(ValueError):
        forecast_month(period=JUNE, through=date(2025, 7, 1), daily={}, spent=D("0"),
                       fixed_fees=D("0"), currency="USD")


MAY = date(2025, 5, 1)


def test_same_days_of_the_previous_month_by_hand():
    # June 1–12: 10 + 5.005 = 15.005 → 15.01 (13 Jun is after the data). May 1–12: 8 + 2 = 10.00
    # (13 May is after the window, 20 Apr is a correction of another month). +5.01 = +50.1 %.
    c = same_days_change(current=days(JUNE, {1: "10", 12: "5.005", 13: "100"}),
                         previous={**days(MAY, {1: "8", 12: "2", 13: "50"}),
                                   date(2025, 4, 20): D("7")},
                         through=date(2025, 6, 12), currency="EUR")
    assert (c.current, c.previous, c.change, c.pct) == (D("15.01"), D("10.00"), D("5.01"), D("50.1"))
    assert c.days == (JUNE, date(2025, 6, 12)) and c.previous_days == (MAY, date(2025, 5, 12))


@pytest.mark.parametrize("through, previous_end", [
    (date(2025, 3, 15), date(2025, 2, 15)),
    (date(2025, 3, 30), date(2025, 2, 28)),    # February has no 30th: its whole month
    (date(2025, 3, 31), date(2025, 2, 28)),    # a whole month against the whole month before
    (date(2025, 2, 28), date(2025, 1, 31)),    # whole February against whole January
    (date(2024, 2, 28), date(2024, 1, 28)),    # leap year: 28 Feb is not the month's end
])
def test_same_days_window(through, previous_end):
    c = same_days_change(current={}, previous={}, through=through, currency="USD")
    assert c.previous_days == (previous_period(through.replace(day=1)), previous_end)
    assert c.pct is None and c.change == D("0.00")     # nothing before: no percentage


def test_a_fall_is_negative():
    c = same_days_change(current=days(JUNE, {2: "7.50"}), previous=days(MAY, {2: "10"}),
                         through=date(2025, 6, 2), currency="USD")
    assert (c.change, c.pct) == (D("-2.50"), D("-25.0"))


def test_month_helpers():
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert previous_period(date(2025, 1, 1)) == date(2024, 12, 1)
