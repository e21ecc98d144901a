"""The volume-tier charge model (docs/pricing.md §5): a discount on a buyer's period subtotal.

graduated: each slice of the subtotal between one band's start and the next gets its band's
discount. volume: the whole subtotal gets the discount of the highest band it reaches.
The exact discount D is spread back over the buyer's priced groups through one tier factor
t = (S − D) / S, rounded half away from zero to 12 places.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pricing.money import HUNDRED, ONE, ZERO, calc
from pricing.plans import TIER_MODES, Tiers

TIER_FACTOR_PLACES = 12          # x_TierFactor DECIMAL(20,12)


@dataclass(frozen=True, slots=True)
class TierSlice:
    """The part of the subtotal priced at one band (volume: the whole subtotal at the band reached)."""

    band_no: int                 # 0-based position in tiers.bands
    start: Decimal               # the band's start
    end: Decimal | None          # the next band's start; None for the open-ended last band
    amount: Decimal              # spend priced at this band
    discount_pct: Decimal
    discount: Decimal            # amount × discount_pct / 100, exact

    def as_detail(self) -> dict:
        """JSON-ready breakdown (decimals as strings)."""
        return {"band": self.band_no, "from": str(self.start),
                "to": None if self.end is None else str(self.end), "amount": str(self.amount),
                "discount_pct": str(self.discount_pct), "discount": str(self.discount)}


@dataclass(frozen=True, slots=True)
class TierResult:
    subtotal: Decimal            # S, buyer currency
    discount: Decimal            # D, exact
    factor: Decimal              # t, 12 places; 1 when nothing to allocate
    slices: tuple[TierSlice, ...]
    mode: str | None = None      # graduated | volume; None without tiers

    def as_detail(self) -> dict:
        """JSON-ready breakdown for the invoice line (decimals as strings)."""
        return {"mode": self.mode, "subtotal": str(self.subtotal), "discount": str(self.discount),
                "factor": str(self.factor), "bands": [s.as_detail() for s in self.slices]}


def tier_factor(subtotal: Decimal, discount: Decimal) -> Decimal:
    """t = (S − D) / S rounded half away from zero to 12 places; 1 when D = 0 or S ≤ 0.

    Computed with exact fractions, so there is no intermediate rounding before the one quantize.
    """
    if discount == ZERO or subtotal <= ZERO:
        return ONE
    scaled = (Fraction(subtotal) - Fraction(discount)) / Fraction(subtotal) * 10 ** TIER_FACTOR_PLACES
    sign = -1 if scaled < 0 else 1
    units = int(abs(scaled) + Fraction(1, 2))          # floor(|x| + ½): half away from zero
    return Decimal(sign * units).scaleb(-TIER_FACTOR_PLACES)


def apply_tiers(tiers: Tiers | None, subtotal: Decimal) -> TierResult:
    """Discount, factor and per-band breakdown for a buyer's period subtotal S (buyer currency)."""
    if tiers is None or not tiers.bands:
        return TierResult(subtotal, ZERO, ONE, ())
    bands = tiers.bands
    slices: list[TierSlice] = []
    with calc():
        if subtotal > ZERO:
            if tiers.mode == "graduated":
                for i, band in enumerate(bands):
                    end = bands[i + 1].start if i + 1 < len(bands) else None
                    if subtotal <= band.start:
                        break
                    top = subtotal if end is None else min(subtotal, end)
                    amount = top - band.start
                    slices.append(TierSlice(i, band.start, end, amount, band.discount_pct,
                                            amount * band.discount_pct / HUNDRED))
            elif tiers.mode == "volume":
                reached_all = [i for i, band in enumerate(bands) if band.start <= subtotal]
                if reached_all:
                    reached = reached_all[-1]
                    band = bands[reached]
                    end = bands[reached + 1].start if reached + 1 < len(bands) else None
                    slices.append(TierSlice(reached, band.start, end, subtotal, band.discount_pct,
                                            subtotal * band.discount_pct / HUNDRED))
            else:
                raise ValueError(f"unknown tier mode {tiers.mode!r}; use one of {', '.join(TIER_MODES)}")
        discount = sum((s.discount for s in slices), ZERO)
    return TierResult(subtotal, discount, tier_factor(subtotal, discount), tuple(slices), tiers.mode)


def validate_tiers(tiers: Tiers | None) -> list[tuple[str, str]]:
    """Problems in a tier configuration: known mode, bands from 0, strictly increasing, 0 ≤ pct ≤ 100."""
    if tiers is None:
        return []
    issues: list[tuple[str, str]] = []
    if tiers.mode not in TIER_MODES:
        issues.append(("tiers.mode", f"unknown tier mode {tiers.mode!r}; use one of {', '.join(TIER_MODES)}"))
    if not tiers.bands:
        issues.append(("tiers.bands", "give at least one band, starting at 0"))
        return issues
    for i, band in enumerate(tiers.bands):
        path = f"tiers.bands[{i}]"
        if not isinstance(band.start, Decimal):
            issues.append((f"{path}.from", "from must be a decimal number"))
        elif i == 0 and band.start != ZERO:
            issues.append((f"{path}.from", f"the first band must start at 0, not {band.start}"))
        elif i > 0 and isinstance(tiers.bands[i - 1].start, Decimal) and band.start <= tiers.bands[i - 1].start:
            issues.append((f"{path}.from",
                           f"bands must start in increasing order: {band.start} does not follow "
                           f"{tiers.bands[i - 1].start}"))
        if not isinstance(band.discount_pct, Decimal):
            issues.append((f"{path}.discount_pct", "discount_pct must be a decimal number"))
        elif not ZERO <= band.discount_pct <= HUNDRED:
            issues.append((f"{path}.discount_pct",
                           f"discount_pct must be between 0 and 100, not {band.discount_pct}"))
    return issues
