-- landing_macro_src: (re)creates TEMP table macro ingest_src(p, c, t), the one shape landing_insert
-- and the diagnosis read: every canonical FOCUS column of landing_focus (NULL where the file lacks
-- it; names matched case-insensitively), followed by the file's other columns. Every column is
-- VARCHAR but the Parquet columns named in t, which keep the file's type (the number and date/time
-- columns are framed by an untyped NULL so that a typed column stays typed; a column no file
-- brings is of type NULL).
-- It reads table macro ingest_file(p, c, t) (landing_macro_csv, landing_macro_parquet or
-- landing_macro_parquet_typed, whichever data/ingest.py defined last). p = file path, c = CSV compression, t = the typed columns
-- (VARCHAR[]); all are bound by the caller as statement parameters. Lazy: nothing is read here.
-- No parameters.
CREATE OR REPLACE TEMP MACRO ingest_src(p, c, t) AS TABLE
SELECT * FROM (
    SELECT
        NULL::VARCHAR AS AvailabilityZone,
        NULL AS BilledCost,
        NULL::VARCHAR AS BillingAccountId,
        NULL::VARCHAR AS BillingAccountName,
        NULL::VARCHAR AS BillingAccountType,
        NULL::VARCHAR AS BillingCurrency,
        NULL AS BillingPeriodEnd,
        NULL AS BillingPeriodStart,
        NULL::VARCHAR AS CapacityReservationId,
        NULL::VARCHAR AS CapacityReservationStatus,
        NULL::VARCHAR AS ChargeCategory,
        NULL::VARCHAR AS ChargeClass,
        NULL::VARCHAR AS ChargeDescription,
        NULL::VARCHAR AS ChargeFrequency,
        NULL AS ChargePeriodEnd,
        NULL AS ChargePeriodStart,
        NULL::VARCHAR AS CommitmentDiscountCategory,
        NULL::VARCHAR AS CommitmentDiscountId,
        NULL::VARCHAR AS CommitmentDiscountName,
        NULL AS CommitmentDiscountQuantity,
        NULL::VARCHAR AS CommitmentDiscountStatus,
        NULL::VARCHAR AS CommitmentDiscountType,
        NULL::VARCHAR AS CommitmentDiscountUnit,
        NULL AS ConsumedQuantity,
        NULL::VARCHAR AS ConsumedUnit,
        NULL AS ContractedCost,
        NULL AS ContractedUnitPrice,
        NULL AS EffectiveCost,
        NULL::VARCHAR AS HostProviderName,
        NULL::VARCHAR AS InvoiceId,
        NULL::VARCHAR AS InvoiceIssuerName,
        NULL AS ListCost,
        NULL AS ListUnitPrice,
        NULL::VARCHAR AS PricingCategory,
        NULL::VARCHAR AS PricingCurrency,
        NULL AS PricingQuantity,
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
SELECT * FROM ingest_file(p, c, t)
