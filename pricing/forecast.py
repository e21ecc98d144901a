"""Where a month is heading, and how it compares with the month before (docs/portal.md).

Pure arithmetic on Decimal amounts the scoped layer has already read (the customer's daily spend
at its own price, its draft invoice): no I/O. Money stays exact until the one rounding at the end,
by THE rule (pricing.money.round_line), as the invoice rounds.

The forecast, named on the page the way `Forecast.method` says it:
- the days loaded run up to `through`, the latest charge day the providers have delivered; that
  day may still be arriving, so the **complete** days are the ones before it;
- the run-rate is the mean daily usage of the last `window` (7) complete days of the month (a day
  with no usage counts as 0); low and high use the smallest and the largest of those days;
- the remaining days are the month's days after `through`; they are priced at the run-rate,
  raised by the plan's percentage fees (`fee_pct`), and added to what the draft invoice already
  holds (usage so far plus the month's fixed fees);
- tax as the invoice computes it: round(subtotal × rate / 100).
A month whose last day is loaded has no remaining day: the forecast is the invoice itself.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Mapping

from pricing.money import HUNDRED, ZERO, calc, round_line

WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class Forecast:
    """The month's expected invoice total with a low–high range, in the invoice's currency."""

    expected: Decimal
    low: Decimal
    high: Decimal
    currency: str
    method: str                       # the sentence the page shows
    rate: Decimal | None              # mean daily usage of the window (unrounded); None: no window
    window: tuple[date, date] | None  # first and last complete day the rate is taken from
    remaining_days: int               # days of the month after `through`
    complete: bool                    # the month's last day is loaded: the forecast is the invoice

    def as_dict(self) -> dict:
        return {"expected": self.expected, "low": self.low, "high": self.high,
                "currency": self.currency, "method": self.method, "rate": self.rate,
                "window": self.window, "remaining_days": self.remaining_days,
                "complete": self.complete}


@dataclass(frozen=True, slots=True)
class Change:
    """Usage of the month's first days against the same days of the month before."""

    current: Decimal                  # rounded to the currency
    previous: Decimal
    change: Decimal                   # current − previous
    pct: Decimal | None               # change / previous × 100, one place; None when previous is 0
    days: tuple[date, date]           # the current month's window
    previous_days: tuple[date, date]  # the previous month's window
    currency: str


def month_end(period: date) -> date:
    """The last day of the period's month."""
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def previous_period(period: date) -> date:
    """The first day of the month before."""
    return (period.replace(day=1) - timedelta(days=1)).replace(day=1)


def _check_amount(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal amount, got {type(value).__name__} {value!r}")
    return value


def _check_daily(daily: Mapping[date, Decimal]) -> None:
    for day, amount in daily.items():
        if not isinstance(day, date):
            raise TypeError(f"a daily amount's key must be a date, got {day!r}")
        _check_amount(amount, f"the amount of {day}")


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def forecast_month(*, period: date, through: date | None, daily: Mapping[date, Decimal],
                   spent: Decimal, fixed_fees: Decimal, currency: str,
                   tax_rate_pct: Decimal = ZERO, fee_pct: Decimal = ZERO,
                   window: int = WINDOW_DAYS) -> Forecast:
    """The forecast of the period's invoice total (see the module doc).

    `daily`: usage per charge day at the buyer's price (ledger amounts, unrounded); days of other
    months (corrections) are ignored. `spent`: what the draft invoice holds besides its fixed
    fees (usage lines, percentage fees, credits, corrections: the subtotal minus `fixed_fees`).
    `through`: the latest charge day loaded (None: nothing loaded yet)."""
    period = period.replace(day=1)
    for name, value in (("spent", spent), ("fixed_fees", fixed_fees),
                        ("tax_rate_pct", tax_rate_pct), ("fee_pct", fee_pct)):
        _check_amount(value, name)
    _check_daily(daily)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a whole number of days from 1, got {window!r}")
    last = month_end(period)
    if through is not None and not period <= through <= last:
        raise ValueError(f"through must be a day of {period:%Y-%m}, got {through}")

    def total(projected: Decimal) -> Decimal:
        with calc():
            subtotal = round_line(spent + fixed_fees + projected, currency)
            return subtotal + round_line(subtotal * tax_rate_pct / HUNDRED, currency)

    so_far = total(ZERO)
    if through is None:
        return Forecast(so_far, so_far, so_far, currency,
                        "No charge day of this month is loaded yet, so there is nothing to "
                        "project: the forecast is the month to date.", None, None,
                        (last - period).days + 1, False)
    remaining = (last - through).days
    if remaining == 0:
        return Forecast(so_far, so_far, so_far, currency,
                        f"Every day of {period:%B} is loaded, so the forecast is the invoice "
                        f"itself.", None, None, 0, True)
    end = through - timedelta(days=1)
    start = max(period, through - timedelta(days=window))
    if end < start:
        return Forecast(so_far, so_far, so_far, currency,
                        f"No complete day is loaded yet (data runs to {_day(through)}), so "
                        f"there is no run-rate: the forecast is the month to date.", None, None,
                        remaining, False)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    amounts = [daily.get(d, ZERO) for d in days]
    with calc():
        rate = sum(amounts, ZERO) / Decimal(len(days))
        uplift = 1 + fee_pct / HUNDRED
        expected = total(rate * remaining * uplift)
        low = total(min(amounts) * remaining * uplift)
        high = total(max(amounts) * remaining * uplift)
    fees = f" plus its percentage fees ({fee_pct.normalize():f} %)" if fee_pct else ""
    tax = f", plus tax at {tax_rate_pct.normalize():f} %" if tax_rate_pct else ""
    n = len(days)
    method = (f"Run-rate of the last {n} complete day{'s' if n != 1 else ''} "
              f"({_day(start)}–{_day(end)}: {round_line(rate, currency)} {currency} a day) "
              f"× {remaining} remaining day{'s' if remaining != 1 else ''}{fees}, added to the "
              f"month to date and its fixed fees{tax}. Low and high: the cheapest and the "
              f"dearest of those days.")
    return Forecast(expected, low, high, currency, method, rate, (start, end), remaining, False)


def same_days_change(*, current: Mapping[date, Decimal], previous: Mapping[date, Decimal],
                     through: date, currency: str) -> Change:
    """Usage from the 1st to `through` against the previous month's same days (1st to the same
    day number, or to its own last day when shorter); a month loaded to its last day is compared
    with the whole previous month. Days outside each window (corrections of other months) are
    left out of both sums."""
    _check_daily(current)
    _check_daily(previous)
    start = through.replace(day=1)
    before = previous_period(start)
    before_last = month_end(before)
    if through == month_end(through):
        before_end = before_last
    else:
        before_end = before.replace(day=min(through.day, before_last.day))
    with calc():
        now = sum((v for d, v in current.items() if start <= d <= through), ZERO)
        then = sum((v for d, v in previous.items() if before <= d <= before_end), ZERO)
        now_r, then_r = round_line(now, currency), round_line(then, currency)
        change = now_r - then_r
        pct = None if then_r == 0 else (change * HUNDRED / then_r).quantize(Decimal("0.1")) + ZERO
    return Change(now_r, then_r, change, pct, (start, through), (before, before_end), currency)
