"""The notable-day rule, movers and top drivers of the QBR (pricing/anomalies.py), with the
numbers worked by hand next to each case."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from pricing.anomalies import (
    Driver,
    Mover,
    ServiceExcess,
    mad,
    median,
    movers,
    notable_days,
    top_drivers,
)
from pricing.money import D


def days(start: date, amounts: list[str]) -> dict[date, Decimal]:
    return {start + timedelta(days=i): D(a) for i, a in enumerate(amounts)}


JUL = date(2026, 7, 1)
# Jul 1–14. Sorted: 10 ×7, 11 ×3, 12 ×4; the 7th and 8th of 14 are 10 and 11 → median 10.5.
# |x − 10.5|: 0.5 ×10 (the 10s and 11s), 1.5 ×4 (the 12s) → MAD 0.5; threshold 10.5 + 3 × 0.5 = 12.
HISTORY = ["10", "12", "10", "11", "10", "12", "10", "11", "10", "12", "10", "11", "10", "12"]


@pytest.mark.parametrize("values, middle, spread", [
    (["5", "1", "3"], "3", "2"),                 # sorted 1 3 5; |x−3| = 2 0 2 → 2
    (["1", "2", "3", "4"], "2.5", "1"),          # (2+3)/2; |x−2.5| = 1.5 .5 .5 1.5 → 1
    (["1", "2", "3", "4", "100"], "3", "1"),     # |x−3| = 2 1 0 1 97 → sorted 0 1 1 2 97 → 1
    (HISTORY, "10.5", "0.5"),
])
def test_median_and_mad(values, middle, spread):
    assert median([D(v) for v in values]) == D(middle)
    assert mad([D(v) for v in values]) == D(spread)


@pytest.mark.parametrize("day15, notable", [
    ("12.00", False),    # 12 − 10.5 = 1.5, not MORE than 3 × 0.5
    ("12.01", True),     # 1.51 > 1.5
    ("25.00", True),
])
def test_a_day_above_median_plus_three_mads_is_notable(day15, notable):
    found = notable_days(days(JUL, HISTORY + [day15]))
    assert [n.day for n in found] == ([date(2026, 7, 15)] if notable else [])
    if notable:
        n = found[0]
        assert (n.spend, n.median, n.mad, n.threshold) == (D(day15), D("10.5"), D("0.5"), D("12.0"))


def test_the_window_moves_and_the_services_behind_a_day_are_named():
    daily = days(JUL, HISTORY + ["25.00", "14.00", "14.01"])
    # EC2 = the day's spend − 2 on Jul 1–14 (8 10 8 9 …: median 8.5), S3 = 2 every day (median 2).
    by_service = {d: {"AWS · AmazonEC2": v - 2, "AWS · AmazonS3": D("2")} for d, v in daily.items()
                  if d.day <= 14}
    by_service[date(2026, 7, 15)] = {"AWS · AmazonEC2": D("20.00"), "AWS · AmazonS3": D("5.00")}
    found = notable_days(daily, by_service)
    # Jul 16: window Jul 2–15 = 12 10 11 10 12 10 11 10 12 10 11 10 12 25; sorted 10 ×6, 11 ×3,
    # 12 ×4, 25 → median (11 + 11) / 2 = 11; |x − 11|: 0 ×3, 1 ×10, 14 → MAD 1; threshold 14:
    # 14.00 is not above it. Jul 17: window Jul 3–16 = … 25, 14 → sorted 10 ×6, 11 ×3, 12 ×3,
    # 14, 25 → median 11; |x − 11|: 0 ×3, 1 ×9, 3, 14 → MAD 1; 14.01 − 11 = 3.01 > 3: notable.
    assert [(n.day, n.median, n.mad, n.threshold) for n in found] == [
        (date(2026, 7, 15), D("10.5"), D("0.5"), D("12.0")),
        (date(2026, 7, 17), D("11"), D("1"), D("14")),
    ]
    # Jul 15: EC2 20 − 8.5 = 11.5 above its median, S3 5 − 2 = 3.
    assert found[0].services == (
        ServiceExcess("AWS · AmazonEC2", D("20.00"), D("8.5"), D("11.50")),
        ServiceExcess("AWS · AmazonS3", D("5.00"), D("2"), D("3.00")),
    )


def test_a_day_without_charges_counts_as_zero():
    # Jul 1–14: 10 on even days only → seven 0s and seven 10s: median 5, |x − 5| = 5 → MAD 5,
    # threshold 5 + 15 = 20.
    history = {date(2026, 7, d): D("10") for d in range(2, 15, 2)}
    at_line = notable_days({**history, date(2026, 7, 15): D("20")}, start=JUL)
    above = notable_days({**history, date(2026, 7, 15): D("20.01")}, start=JUL)
    assert notable_days({**history, date(2026, 7, 15): D("20.01")}) == []   # from Jul 2: 13 days
    assert at_line == []
    assert [(n.median, n.mad, n.threshold) for n in above] == [(D("5"), D("5"), D("20"))]


def test_a_flat_fortnight_flags_any_day_above_it():
    flat = ["10.00"] * 14
    assert notable_days(days(JUL, flat + ["10.00"])) == []
    assert [n.threshold for n in notable_days(days(JUL, flat + ["10.01"]))] == [D("10.00")]


def test_the_first_fourteen_days_are_history_only():
    assert notable_days(days(JUL, ["1"] * 13 + ["500"])) == []          # day 14 has 13 days before it
    history_month = days(date(2026, 6, 17), HISTORY)                    # Jun 17–30
    quarter = {date(2026, 7, 1): D("25"), date(2026, 7, 2): D("10")}
    found = notable_days({**history_month, **quarter}, judge_from=date(2026, 7, 1))
    assert [n.day for n in found] == [date(2026, 7, 1)]                  # judged on June's fortnight
    assert notable_days({**history_month, **quarter}, judge_from=date(2026, 7, 2)) == []


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        notable_days({JUL: 1.5})
    with pytest.raises(TypeError):
        movers({"a": 1.0}, {})


def test_movers_by_size_of_change_hand_computed():
    current = {"A": D("150.00"), "B": D("40.00"), "D": D("30.00"), "E": D("10.00")}
    previous = {"A": D("100.00"), "B": D("90.00"), "C": D("25.00"), "D": D("30.00")}
    # A +50 (50 / 100 = 50.0 %), B −50 (−50 / 90 = −55.55… → −55.6 %), C −25 (−100.0 %),
    # E +10 (new: no percentage), D unchanged: left out. |50| = |−50|: by key, A before B.
    assert movers(current, previous) == [
        Mover("A", D("100.00"), D("150.00"), D("50.00"), D("50.0")),
        Mover("B", D("90.00"), D("40.00"), D("-50.00"), D("-55.6")),
        Mover("C", D("25.00"), D("0"), D("-25.00"), D("-100.0")),
        Mover("E", D("0"), D("10.00"), D("10.00"), None),
    ]
    assert [m.key for m in movers(current, previous, top=2)] == ["A", "B"]


def test_top_drivers_with_their_share():
    assert top_drivers({"Z": D("10"), "X": D("60"), "Y": D("30")}, top=2) == [
        Driver("X", D("60"), D("60.0")), Driver("Y", D("30"), D("30.0"))]
    # 1/3 = 33.33… → 33.3 each; equal amounts by key
    assert [(d.key, d.share_pct) for d in top_drivers({"b": D("1"), "a": D("1"), "c": D("1")})] == [
        ("a", D("33.3")), ("b", D("33.3")), ("c", D("33.3"))]
    assert top_drivers({}) == []
