"""The FOCUS columns Tierline knows, written once (FOCUS.md in the shared docs; docs/store.md).

- `FOCUS_12_COLUMNS`: the FOCUS 1.2 Cost and Usage columns in the specification's order (what
  the demo builder writes, and the header test files start from).
- `FOCUS_13_ADDED`: the 1.3 columns landing keeps beside them (the provider split of ProviderName).
- `LANDED_ELSEWHERE`: 1.2 columns a delivery may hold that landing keeps only in `x_Extra`.
- `CANONICAL_COLUMNS`: the FOCUS columns of `landing_focus`, in table (alphabetical) order.
- `MANDATORY_COLUMNS`: what a file must have (ProviderName may come from 1.3's ServiceProviderName).
- `NUMBER_COLUMNS`, `TIMESTAMP_COLUMNS`: the canonical columns landing types as DECIMAL(38,10) and
  as naive UTC TIMESTAMP (queries/landing/landing_insert.sql); the rest are text.
Pure: no I/O.
"""
from __future__ import annotations

FOCUS_12_COLUMNS: tuple[str, ...] = (
    "ProviderName", "PublisherName", "InvoiceIssuerName", "InvoiceId", "BillingAccountId",
    "BillingAccountName", "BillingAccountType", "SubAccountId", "SubAccountName", "SubAccountType",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "BilledCost",
    "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice", "ContractedUnitPrice",
    "PricingCategory", "PricingQuantity", "PricingUnit", "PricingCurrency",
    "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "BillingCurrency", "ConsumedQuantity", "ConsumedUnit",
    "ServiceName", "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceId",
    "SkuPriceDetails", "ResourceId", "ResourceName", "ResourceType", "RegionId", "RegionName",
    "AvailabilityZone", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountStatus",
    "CommitmentDiscountQuantity", "CommitmentDiscountUnit", "CapacityReservationId",
    "CapacityReservationStatus", "Tags",
)

FOCUS_13_ADDED: tuple[str, ...] = ("HostProviderName", "ServiceProviderName")

LANDED_ELSEWHERE: frozenset[str] = frozenset({
    "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "SkuPriceDetails",
})

CANONICAL_COLUMNS: tuple[str, ...] = tuple(sorted(
    (set(FOCUS_12_COLUMNS) - LANDED_ELSEWHERE) | set(FOCUS_13_ADDED)))

MANDATORY_COLUMNS: tuple[str, ...] = (
    "BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
    "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
    "ListCost", "ServiceCategory", "ServiceName",
)

NUMBER_COLUMNS: tuple[str, ...] = (
    "BilledCost", "CommitmentDiscountQuantity", "ConsumedQuantity", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "ListCost", "ListUnitPrice", "PricingQuantity",
)

TIMESTAMP_COLUMNS: tuple[str, ...] = (
    "BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart",
)

CHARGE_CATEGORIES: tuple[str, ...] = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
