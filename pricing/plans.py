"""Price plans as immutable values: rules, volume tiers, fees, credit and commitment policy.

A plan is the set of terms on which a seller (its `owner`) sells to a buyer. It is built from
the configuration document (data/config.py validates the YAML and builds these objects).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from pricing.money import ONE, pct_factor_discount, pct_factor_markup

# Fields a rule may match on, in the order they appear in documents.
MATCH_FIELDS = ("ProviderName", "ServiceCategory", "ServiceName", "SkuId", "RegionId", "ChargeCategory")
# The hierarchy DOMAIN.md defines for specificity: SkuId > ServiceName > ServiceCategory > ProviderName.
HIERARCHY_RANK = {"SkuId": 4, "ServiceName": 3, "ServiceCategory": 2, "ProviderName": 1}
BASES = ("list", "contracted", "effective", "cost")
CREDIT_POLICIES = ("retain", "pass_through")
COMMITMENT_POLICIES = ("pass_through", "retain", "share")
TIER_MODES = ("graduated", "volume")
# ChargeCategory values priced by rules; the others have fixed treatments (docs/pricing.md).
PRICED_CATEGORIES = ("Usage", "Purchase")


@dataclass(frozen=True, slots=True)
class Rule:
    """One pricing rule: where it applies (`match`), what it starts from (`basis`), the adjustment."""

    match: tuple[tuple[str, str], ...] = ()       # sorted (field, value) pairs; empty = everything
    basis: str = "list"
    discount_pct: Decimal | None = None
    markup_pct: Decimal | None = None

    @property
    def factor(self) -> Decimal:
        """price = basis × factor."""
        if self.discount_pct is not None:
            return pct_factor_discount(self.discount_pct)
        if self.markup_pct is not None:
            return pct_factor_markup(self.markup_pct)
        return ONE

    @property
    def specificity(self) -> int:
        """Higher wins: the highest-ranked field matched (SkuId 4 … ProviderName 1, none 0)
        first, then the number of fields matched. rank × 10 + count."""
        fields = [f for f, _ in self.match]
        rank = max((HIERARCHY_RANK.get(f, 0) for f in fields), default=0)
        return rank * 10 + len(fields)

    def matches(self, row: Mapping[str, object]) -> bool:
        """True when every matched field equals the row's value (exact, case-sensitive)."""
        return all(row.get(f) == v for f, v in self.match)


@dataclass(frozen=True, slots=True)
class Band:
    """A tier band: spend from `start` (inclusive) up to the next band's start gets `discount_pct`."""

    start: Decimal
    discount_pct: Decimal


@dataclass(frozen=True, slots=True)
class Tiers:
    mode: str                       # graduated | volume
    bands: tuple[Band, ...]


@dataclass(frozen=True, slots=True)
class Fee:
    """An invoice line of its own: a fixed amount per period, or a percentage of priced usage."""

    name: str
    amount: Decimal | None = None           # in the buyer's currency
    pct_of_usage: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    owner: str
    rules: tuple[Rule, ...]
    credits: str = "retain"                 # retain | pass_through
    tiers: Tiers | None = None
    fees: tuple[Fee, ...] = field(default=())
    commitments: str = "pass_through"       # pass_through | retain | share
    commitment_share_pct: Decimal | None = None
