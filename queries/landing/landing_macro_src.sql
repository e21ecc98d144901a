-- landing_macro_src: (re)creates TEMP table macro ingest_src(p, c), the one shape landing_insert and
-- the diagnosis read: every canonical FOCUS column of landing_focus as VARCHAR (NULL where the file
-- lacks it; names matched case-insensitively), followed by the file's other columns.
-- It reads table macro ingest_file(p, c) (landing_macro_csv or landing_macro_parquet, whichever
-- data/ingest.py defined last). p = file path, c = CSV compression; both are bound by the caller as
-- statement parameters. Lazy: nothing is read here. No parameters.
CREATE OR REPLACE TEMP MACRO ingest_src(p, c) AS TABLE
SELECT * FROM (
    SELECT
        NULL::VARCHAR AS AvailabilityZone,
        NULL::VARCHAR AS BilledCost,
        NULL::VARCHAR AS BillingAccountId,
        NULL::VARCHAR AS BillingAccountName,
        NULL::VARCHAR AS BillingAccountType,
        NULL::VARCHAR AS BillingCurrency,
        NULL::VARCHAR AS BillingPeriodEnd,
        NULL::VARCHAR AS BillingPeriodStart,
        NULL::VARCHAR AS CapacityReservationId,
        NULL::VARCHAR AS CapacityReservationStatus,
        NULL::VARCHAR AS ChargeCategory,
        NULL::VARCHAR AS ChargeClass,
        NULL::VARCHAR AS ChargeDescription,
        NULL::VARCHAR AS ChargeFrequency,
        NULL::VARCHAR AS ChargePeriodEnd,
        NULL::VARCHAR AS ChargePeriodStart,
        NULL::VARCHAR AS CommitmentDiscountCategory,
        NULL::VARCHAR AS CommitmentDiscountId,
        NULL::VARCHAR AS CommitmentDiscountName,
        NULL::VARCHAR AS CommitmentDiscountQuantity,
        NULL::VARCHAR AS CommitmentDiscountStatus,
        NULL::VARCHAR AS CommitmentDiscountType,
        NULL::VARCHAR AS CommitmentDiscountUnit,
        NULL::VARCHAR AS ConsumedQuantity,
        NULL::VARCHAR AS ConsumedUnit,
        NULL::VARCHAR AS ContractedCost,
        NULL::VARCHAR AS ContractedUnitPrice,
        NULL::VARCHAR AS EffectiveCost,
        NULL::VARCHAR AS HostProviderName,
        NULL::VARCHAR AS InvoiceId,
        NULL::VARCHAR AS InvoiceIssuerName,
        NULL::VARCHAR AS ListCost,
        NULL::VARCHAR AS ListUnitPrice,
        NULL::VARCHAR AS PricingCategory,
        NULL::VARCHAR AS PricingCurrency,
        NULL::VARCHAR AS PricingQuantity,
        NULL::VARCHAR AS PricingUnit,
        NULL::VARCHAR AS ProviderName,
        NULL::VARCHAR AS PublisherName,
        NULL::VARCHAR AS RegionId,
        NULL::VARCHAR AS RegionName,
        NULL::VARCHAR AS ResourceId,
        NULL::VARCHAR AS ResourceName,
        NULL::VARCHAR AS ResourceType,
        NULL::VARCHAR AS ServiceCategory,
        NULL::VARCHAR AS ServiceName,
        NULL::VARCHAR AS ServiceProviderName,
        NULL::VARCHAR AS ServiceSubcategory,
        NULL::VARCHAR AS SkuId,
        NULL::VARCHAR AS SkuMeter,
        NULL::VARCHAR AS SkuPriceId,
        NULL::VARCHAR AS SubAccountId,
        NULL::VARCHAR AS SubAccountName,
        NULL::VARCHAR AS SubAccountType,
        NULL::VARCHAR AS Tags
    WHERE FALSE
)
UNION ALL BY NAME
SELECT * FROM ingest_file(p, c)
