"""FX rates: one explicit rate per (period, from currency, to currency), DOMAIN §4 / docs/pricing.md §6.

*Decision*: explicit rates only. A missing pair is an error (`MissingRate`); the table never
inverts a rate (USD→EUR from EUR→USD) nor triangulates through a third currency, because the
rate on an invoice must be the one somebody configured and locked for that period.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Mapping

from pricing.money import ISO_CURRENCIES, ONE, ZERO, Amount, calc, ledger


class MissingRate(LookupError):
    """No configured rate for a currency pair in a period."""

    def __init__(self, period: date, from_ccy: str, to_ccy: str):
        self.period, self.from_ccy, self.to_ccy = period, from_ccy, to_ccy
        super().__init__(f"no FX rate {from_ccy}→{to_ccy} for {period:%Y-%m}; "
                         f"configure one for period {period.isoformat()}")


def period_of(day: date) -> date:
    """The billing period (first of the month) a date falls in."""
    return day.replace(day=1)


@dataclass(frozen=True)
class FxTable:
    """rates[(period first-of-month, from, to)] = units of `to` per one unit of `from`."""

    rates: Mapping[tuple[date, str, str], Decimal] = field(default_factory=dict)

    def rate(self, period: date, from_ccy: str, to_ccy: str) -> Decimal:
        """1 for the same currency; the configured rate otherwise; MissingRate when there is none."""
        if from_ccy == to_ccy:
            return ONE
        try:
            return self.rates[(period_of(period), from_ccy, to_ccy)]
        except KeyError:
            raise MissingRate(period_of(period), from_ccy, to_ccy) from None

    def convert(self, amount: Amount, to_ccy: str, period: date) -> Amount:
        """ledger(amount × rate): converted amounts keep the ledger's 10 places, unrounded."""
        rate = self.rate(period, amount.currency, to_ccy)
        with calc():
            return Amount(ledger(amount.number * rate), to_ccy)


def validate_rates(rates: Mapping[tuple[date, str, str], Decimal]) -> list[tuple[str, str]]:
    """Problems in a rate table: first-of-month periods, known and different currencies, rate > 0."""
    issues: list[tuple[str, str]] = []
    for (period, from_ccy, to_ccy), rate in sorted(rates.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        path = f"fx_rates[{period.isoformat()} {from_ccy}->{to_ccy}]"
        if period.day != 1:
            issues.append((f"{path}.period", f"a rate's period is a month: use {period_of(period).isoformat()}"))
        for ccy in (from_ccy, to_ccy):
            if ccy not in ISO_CURRENCIES:
                issues.append((path, f"unknown currency {ccy!r}"))
        if from_ccy == to_ccy:
            issues.append((path, "a currency's rate to itself is always 1; remove this rate"))
        if not isinstance(rate, Decimal):
            issues.append((f"{path}.rate", "the rate must be a decimal number"))
        elif rate <= ZERO:
            issues.append((f"{path}.rate", f"the rate must be positive, not {rate}"))
    return issues
