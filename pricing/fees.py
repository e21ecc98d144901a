"""The fee charge models (docs/pricing.md §7): a fixed amount per period, or a percentage of the
buyer's priced usage. Each fee is an invoice line of its own, rounded once with the line.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from pricing.money import HUNDRED, ZERO, calc, ledger
from pricing.plans import Fee


@dataclass(frozen=True, slots=True)
class FeeResult:
    name: str
    unrounded: Decimal           # buyer currency, before the line's one rounding
    detail: dict                 # JSON-ready breakdown (decimals as strings)


def compute_fee(fee: Fee, usage: Decimal) -> FeeResult:
    """A fixed fee's amount, or a percentage fee = ledger(p/100 × usage).

    `usage` is U, the buyer-currency sum of the priced groups after tiers (x_PriceBuyer).
    """
    if fee.amount is not None and fee.pct_of_usage is None:
        return FeeResult(fee.name, fee.amount, {"type": "fixed", "amount": str(fee.amount)})
    if fee.pct_of_usage is not None and fee.amount is None:
        with calc():
            unrounded = ledger(fee.pct_of_usage / HUNDRED * usage)
        return FeeResult(fee.name, unrounded, {"type": "pct_of_usage", "pct": str(fee.pct_of_usage),
                                               "usage": str(usage), "amount": str(unrounded)})
    raise ValueError(f"fee {fee.name!r} needs exactly one of amount and pct_of_usage")


def validate_fees(fees: Sequence[Fee]) -> list[tuple[str, str]]:
    """Problems in a plan's fees: a name, unique; exactly one of amount / pct_of_usage; neither negative."""
    issues: list[tuple[str, str]] = []
    names: set[str] = set()
    for i, fee in enumerate(fees):
        path = f"fees[{i}]"
        if not isinstance(fee.name, str) or not fee.name.strip():
            issues.append((f"{path}.name", "a fee needs a name (it is the invoice line's text)"))
        elif fee.name in names:
            issues.append((f"{path}.name", f"two fees are called {fee.name!r}"))
        else:
            names.add(fee.name)
        if (fee.amount is None) == (fee.pct_of_usage is None):
            issues.append((path, "give exactly one of amount (fixed fee) and pct_of_usage (percentage fee)"))
        for attr in ("amount", "pct_of_usage"):
            value = getattr(fee, attr)
            if value is None:
                continue
            if not isinstance(value, Decimal):
                issues.append((f"{path}.{attr}", f"{attr} must be a decimal number"))
            elif value < ZERO:
                issues.append((f"{path}.{attr}", f"{attr} cannot be negative ({value})"))
    return issues
