"""Invoice assembly (docs/pricing.md §7): lines from unrounded sums, each rounded once.

Line order: service lines by (provider, service), then credit lines by provider, then the
plan's fees in plan order, then corrections of earlier issued invoices (already rounded: each is
the difference of two rounded subtotals). The tier breakdown (§5) is the `detail` of the first service line
(`{"tiers": …}`) and also `Invoice.tier`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Mapping, Sequence

from pricing.fees import compute_fee
from pricing.money import HUNDRED, ZERO, calc, round_line
from pricing.plans import Fee
from pricing.tiers import TierResult


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    kind: str                    # service | credit | fee | correction
    description: str
    unrounded: Decimal           # Σ of the line's x_PriceBuyer (or the fee's unrounded amount)
    amount: Decimal              # rounded once to the currency's minor unit
    provider: str | None = None
    service: str | None = None
    detail: dict | None = None   # JSON-ready breakdown (decimals as strings)


@dataclass(frozen=True, slots=True)
class Invoice:
    seller: str
    buyer: str
    period: date
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal            # Σ rounded line amounts
    tax_rate_pct: Decimal
    tax: Decimal                 # round(subtotal × rate / 100)
    total: Decimal
    tier: TierResult | None = None


def corrected_period(charge_class: str | None, charge_period_start: object) -> date | None:
    """The month a provider correction row corrects: the first day of the month of its
    ChargePeriodStart (a date, a datetime, or a FOCUS date/time string, read in UTC as landing
    does); None for every other row (landing_groups_insert keys groups the same way)."""
    if charge_class != "Correction" or charge_period_start in (None, ""):
        return None
    if isinstance(charge_period_start, str):
        text = charge_period_start.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1]
        start = datetime.fromisoformat(text)
        if start.tzinfo is not None:
            start = start.astimezone(timezone.utc)
    elif isinstance(charge_period_start, datetime):
        start = charge_period_start
        if start.tzinfo is not None:
            start = start.astimezone(timezone.utc)
    elif isinstance(charge_period_start, date):
        start = charge_period_start
    else:
        raise ValueError(f"ChargePeriodStart {charge_period_start!r} is not a date")
    return date(start.year, start.month, 1)


def service_label(service: str, charge_class: str | None, corrects: date | None = None) -> str:
    """The service part of a service line's key: provider corrections (FOCUS ChargeClass
    'Correction': rows billed now that correct an earlier charge period) get a line of their
    own per month they correct (`corrects`, corrected_period), so an invoice shows what is new
    and what corrects which month ("AmazonEC2 (correction of 2026-09)"; a run billed before
    groups kept the month says "(correction)")."""
    if charge_class != "Correction":
        return service
    return f"{service} (correction of {corrects:%Y-%m})" if corrects is not None else f"{service} (correction)"


def _kept(line: InvoiceLine) -> bool:
    """A line is left out only when its amount and its unrounded amount are both exactly zero."""
    return not (line.amount == ZERO and line.unrounded == ZERO)


def assemble_invoice(*, seller: str, buyer: str, period: date, currency: str, tax_rate_pct: Decimal,
                     service_sums: Mapping[tuple[str, str], Decimal], credit_sums: Mapping[str, Decimal],
                     priced_usage: Decimal, fees: Sequence[Fee], tier: TierResult | None = None,
                     corrections: Sequence[InvoiceLine] = ()) -> Invoice:
    """The draft invoice of one (seller, buyer, period) in the buyer's currency.

    service_sums: (ProviderName, ServiceName) → Σ x_PriceBuyer of its priced and adjustment groups;
    credit_sums: ProviderName → Σ x_PriceBuyer of its passed credits; priced_usage: U, Σ
    x_PriceBuyer of the priced groups (the base of percentage fees); corrections: lines of kind
    'correction' carried from earlier periods (DOMAIN §7), amounts already at the minor unit.
    """
    with calc():
        services = [InvoiceLine("service", f"{provider} {service}", unrounded, round_line(unrounded, currency),
                                provider=provider, service=service)
                    for (provider, service), unrounded in sorted(service_sums.items())]
        services = [line for line in services if _kept(line)]
        if tier is not None and tier.mode is not None and services:
            first = services[0]
            services[0] = InvoiceLine(first.kind, first.description, first.unrounded, first.amount,
                                      first.provider, first.service, {"tiers": tier.as_detail()})
        credits = [InvoiceLine("credit", f"{provider} credits", unrounded, round_line(unrounded, currency),
                               provider=provider)
                   for provider, unrounded in sorted(credit_sums.items())]
        fee_lines = []
        for fee in fees:
            result = compute_fee(fee, priced_usage)
            fee_lines.append(InvoiceLine("fee", result.name, result.unrounded, round_line(result.unrounded, currency),
                                         detail=result.detail))
        for line in corrections:
            if line.kind != "correction" or line.amount != round_line(line.amount, currency):
                raise ValueError(f"a correction must be a rounded 'correction' line, got {line!r}")
        lines = tuple(line for line in [*services, *credits, *fee_lines, *corrections] if _kept(line))
        subtotal = sum((line.amount for line in lines), ZERO)
        tax = round_line(subtotal * tax_rate_pct / HUNDRED, currency)
        total = subtotal + tax
        return Invoice(seller, buyer, period, currency, lines, subtotal, tax_rate_pct, tax, total, tier)
