-- landing_diag_stage: after a failed load, (re)creates TEMP TABLE ingest_diag holding, in file order
-- (rowid 0 = first data row after the header), the file's checked columns as VARCHAR with empty
-- strings as NULL; ProviderName already filled from ServiceProviderName. Read by
-- landing_diag_problems. Only run on the error path (it materialises those columns).
-- Parameters: $path VARCHAR, $compression VARCHAR (none | gzip; CSV only).
CREATE OR REPLACE TEMP TABLE ingest_diag AS
SELECT
    NULLIF(BilledCost, '') AS BilledCost,
    NULLIF(CommitmentDiscountQuantity, '') AS CommitmentDiscountQuantity,
    NULLIF(ConsumedQuantity, '') AS ConsumedQuantity,
    NULLIF(ContractedCost, '') AS ContractedCost,
    NULLIF(ContractedUnitPrice, '') AS ContractedUnitPrice,
    NULLIF(EffectiveCost, '') AS EffectiveCost,
    NULLIF(ListCost, '') AS ListCost,
    NULLIF(ListUnitPrice, '') AS ListUnitPrice,
    NULLIF(PricingQuantity, '') AS PricingQuantity,
    NULLIF(BillingPeriodEnd, '') AS BillingPeriodEnd,
    NULLIF(BillingPeriodStart, '') AS BillingPeriodStart,
    NULLIF(ChargePeriodEnd, '') AS ChargePeriodEnd,
    NULLIF(ChargePeriodStart, '') AS ChargePeriodStart,
    NULLIF(Tags, '') AS Tags,
    NULLIF(ChargeCategory, '') AS ChargeCategory,
    NULLIF(BillingCurrency, '') AS BillingCurrency,
    NULLIF(PricingCurrency, '') AS PricingCurrency,
    NULLIF(BillingAccountId, '') AS BillingAccountId,
    NULLIF(ServiceCategory, '') AS ServiceCategory,
    NULLIF(ServiceName, '') AS ServiceName,
    COALESCE(NULLIF(ProviderName, ''), NULLIF(ServiceProviderName, '')) AS ProviderName
FROM ingest_src($path, $compression)
