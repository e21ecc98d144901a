"""The arithmetic of a quarterly business review: notable days, biggest movers, top cost drivers.

Pure: amounts in, amounts out, `Decimal` only (floats refused), no I/O. The review
(queries/reports/qbr.py) reads the amounts through the scoped access layer and hands them here.

**The notable-day rule** (docs/qbr.md): a day is notable when its spend is above the median of
the 14 calendar days before it by more than three median absolute deviations (MAD) of those
14 days:

    spend(d) − median(w) > 3 × MAD(w),   w = spend(d−14) … spend(d−1),
    MAD(w) = median(|x − median(w)| for x in w)

A day with no charges counts as zero. A day is judged only when all 14 days before it are in
the series (so the first 14 days of the data are history only). When the 14 days are perfectly
flat (MAD 0), any day above their median is notable: the rule says "more than", and nothing is
more than a flat line by zero. Commitment purchases are left out by the caller (a purchase is a
one-off payment for a year of usage, not a change in how the customer uses the cloud).

The services behind a notable day are those whose spend that day is above their own median of
the same 14 days, largest excess first.

**Movers** compare two periods' amounts per key (service, sub-account): change = current −
previous, ordered by the size of the change, largest first. **Top drivers** are the largest
amounts of one period with their share of the period's total.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pricing.money import HUNDRED, ZERO, calc

WINDOW_DAYS = 14
MAD_FACTOR = Decimal("3")
PCT_PLACES = Decimal("0.1")       # a percentage is shown to one decimal place


def _checked(value, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal amount, got {type(value).__name__} {value!r}.")
    return Decimal(value)


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value; of an even count, the mean of the two middle values (exact)."""
    if not values:
        raise ValueError("the median of no values is undefined.")
    ordered = sorted(_checked(v, "a value") for v in values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    with calc():
        return (ordered[mid - 1] + ordered[mid]) / 2


def mad(values: Sequence[Decimal]) -> Decimal:
    """The median absolute deviation from the median."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole × 100 to one decimal place, half away from zero; None when whole is 0."""
    if whole == ZERO:
        return None
    with calc():
        return (part * HUNDRED / whole).quantize(PCT_PLACES) + ZERO


@dataclass(frozen=True)
class ServiceExcess:
    """One service behind a notable day: its spend that day and how far above its median."""

    service: str
    spend: Decimal
    median: Decimal
    excess: Decimal


@dataclass(frozen=True)
class NotableDay:
    """A day above median + 3 × MAD of the 14 days before it, and the services behind it."""

    day: date
    spend: Decimal
    median: Decimal
    mad: Decimal
    threshold: Decimal        # median + 3 × MAD: the line the day crossed
    services: tuple[ServiceExcess, ...]


def _filled(daily: Mapping[date, Decimal], start: date | None) -> list[tuple[date, Decimal]]:
    """The series from `start` (else its first day) to its last day, a missing day as zero."""
    if not daily:
        return []
    first, last = min(daily) if start is None else min(start, min(daily)), max(daily)
    out, day = [], first
    while day <= last:
        out.append((day, _checked(daily.get(day, ZERO), f"the spend of {day}")))
        day += timedelta(days=1)
    return out


def notable_days(daily: Mapping[date, Decimal],
                 by_service: Mapping[date, Mapping[str, Decimal]] | None = None, *,
                 start: date | None = None, judge_from: date | None = None,
                 window: int = WINDOW_DAYS,
                 factor: Decimal = MAD_FACTOR, services: int = 3) -> list[NotableDay]:
    """The notable days of `daily` (spend per day) by the rule in the module docstring, oldest
    first. `by_service` (per day: spend per service) names the services behind each, at most
    `services` of them. The series runs from `start` (the first day the data covers, so that
    days without charges at its beginning count as zero; default: the first day in `daily`) to
    the last day in `daily`. Days before `judge_from` serve as history only (the month before a
    quarter), never as a result."""
    if window < 1:
        raise ValueError(f"window must be at least one day, got {window}.")
    series = _filled(daily, start)
    by_service = by_service or {}
    names = sorted({s for day in by_service.values() for s in day})
    found: list[NotableDay] = []
    for i in range(window, len(series)):
        day, spend = series[i]
        if judge_from is not None and day < judge_from:
            continue
        history = [v for _, v in series[i - window:i]]
        centre = median(history)
        spread = mad(history)
        with calc():
            threshold = centre + factor * spread
            if spend - centre <= factor * spread:
                continue
        behind = []
        for name in names:
            today = by_service.get(day, {}).get(name, ZERO)
            usual = median([by_service.get(d, {}).get(name, ZERO) for d, _ in series[i - window:i]])
            if today - usual > ZERO:
                behind.append(ServiceExcess(name, today, usual, today - usual))
        behind.sort(key=lambda s: (-s.excess, s.service))
        found.append(NotableDay(day, spend, centre, spread, threshold, tuple(behind[:services])))
    return found


@dataclass(frozen=True)
class Mover:
    """One key's change between two periods; change_pct is None when it had nothing before."""

    key: str
    previous: Decimal
    current: Decimal
    change: Decimal
    change_pct: Decimal | None


def movers(current: Mapping[str, Decimal], previous: Mapping[str, Decimal], *,
           top: int = 5) -> list[Mover]:
    """The `top` keys whose amount changed most between `previous` and `current` (a key missing
    from one side counts as zero there), largest change (up or down) first, ties by key; keys
    that did not change are left out."""
    keys = sorted(set(current) | set(previous))
    out = []
    for key in keys:
        now = _checked(current.get(key, ZERO), f"the current amount of {key}")
        before = _checked(previous.get(key, ZERO), f"the previous amount of {key}")
        change = now - before
        if change == ZERO:
            continue
        out.append(Mover(key, before, now, change, percent(change, abs(before))))
    out.sort(key=lambda m: (-abs(m.change), m.key))
    return out[:top]


@dataclass(frozen=True)
class Driver:
    """One of a period's largest amounts, with its share of the period's total (%)."""

    key: str
    amount: Decimal
    share_pct: Decimal | None


def top_drivers(amounts: Mapping[str, Decimal], *, top: int = 5) -> list[Driver]:
    """The `top` largest amounts, largest first (ties by key), each with its share of the sum
    of all amounts."""
    checked = {k: _checked(v, f"the amount of {k}") for k, v in amounts.items()}
    total = sum(checked.values(), ZERO)
    ordered = sorted(checked.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Driver(k, v, percent(v, total)) for k, v in ordered[:top]]
