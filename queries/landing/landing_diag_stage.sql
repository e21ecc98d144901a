-- landing_diag_stage: after a failed load, (re)creates TEMP TABLE ingest_diag holding, in file order
-- (rowid 0 = first data row after the header), the file's checked columns as VARCHAR (a Parquet
-- column read in its own type as its text, which converts back to the same value) with empty
-- strings as NULL; ProviderName already filled from ServiceProviderName. Read by
-- landing_diag_problems. Only run on the error path (it materialises those columns).
-- Parameters: $path VARCHAR, $compression VARCHAR (none | gzip; CSV only), $typed VARCHAR[] (as
-- landing_insert's).
CREATE OR REPLACE TEMP TABLE ingest_diag AS
SELECT
    NULLIF(BilledCost::VARCHAR, '') AS BilledCost,
    NULLIF(CommitmentDiscountQuantity::VARCHAR, '') AS CommitmentDiscountQuantity,
    NULLIF(ConsumedQuantity::VARCHAR, '') AS ConsumedQuantity,
    NULLIF(ContractedCost::VARCHAR, '') AS ContractedCost,
    NULLIF(ContractedUnitPrice::VARCHAR, '') AS ContractedUnitPrice,
    NULLIF(EffectiveCost::VARCHAR, '') AS EffectiveCost,
    NULLIF(ListCost::VARCHAR, '') AS ListCost,
    NULLIF(ListUnitPrice::VARCHAR, '') AS ListUnitPrice,
    NULLIF(PricingQuantity::VARCHAR, '') AS PricingQuantity,
    NULLIF(BillingPeriodEnd::VARCHAR, '') AS BillingPeriodEnd,
    NULLIF(BillingPeriodStart::VARCHAR, '') AS BillingPeriodStart,
    NULLIF(ChargePeriodEnd::VARCHAR, '') AS ChargePeriodEnd,
    NULLIF(ChargePeriodStart::VARCHAR, '') AS ChargePeriodStart,
    NULLIF(Tags, '') AS Tags,
    NULLIF(ChargeCategory, '') AS ChargeCategory,
    NULLIF(BillingCurrency, '') AS BillingCurrency,
    NULLIF(PricingCurrency, '') AS PricingCurrency,
    NULLIF(BillingAccountId, '') AS BillingAccountId,
    NULLIF(ServiceCategory, '') AS ServiceCategory,
    NULLIF(ServiceName, '') AS ServiceName,
    COALESCE(NULLIF(ProviderName, ''), NULLIF(ServiceProviderName, '')) AS ProviderName
FROM ingest_src($path, $compression, $typed::VARCHAR[])
