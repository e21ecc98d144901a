-- landing_insert: loads every row of table macro ingest_src (landing_macro_src) into landing_focus as
-- delivery $ingest_id, in one pass, stored in the order the portal reads them (ORDER BY, below):
-- money and quantities to DECIMAL(38,10) (x_focus_num; the four cost columns x_focus_cost: a row's
-- cost must stay below 10^14, so the sums and products of a billing run always fit the ledger's
-- DECIMAL(38,10)),
-- date/times to naive UTC (x_focus_ts), Tags to JSON, empty strings to NULL; ProviderName and
-- ServiceProviderName (and PublisherName and HostProviderName) filled from each other when one is
-- missing; x_Period = month of BillingPeriodStart; the file's non-canonical columns packed into
-- x_Extra (a JSON object, NULL when there are none). Strict: any value that does not convert, or a
-- missing mandatory value, raises and the caller rolls back and runs landing_diag_* for the message.
-- Returns the number of rows inserted. Parameters: $path VARCHAR (the file), $compression VARCHAR
-- (none | gzip; CSV only), $typed VARCHAR[] (the Parquet columns read in their own type, not as
-- text: data.ingest.typed_columns), $ingest_id BIGINT, $source_file VARCHAR (stored in x_SourceFile).
INSERT INTO landing_focus BY NAME
SELECT
    s.*,
    date_trunc('month', s.BillingPeriodStart)::DATE AS x_Period,
    $ingest_id::BIGINT AS x_IngestId,
    $source_file::VARCHAR AS x_SourceFile
FROM (
    SELECT
        NULLIF(AvailabilityZone, '') AS AvailabilityZone,
        x_focus_cost(BilledCost) AS BilledCost,
        NULLIF(BillingAccountId, '') AS BillingAccountId,
        NULLIF(BillingAccountName, '') AS BillingAccountName,
        NULLIF(BillingAccountType, '') AS BillingAccountType,
        NULLIF(BillingCurrency, '') AS BillingCurrency,
        x_focus_ts(BillingPeriodEnd) AS BillingPeriodEnd,
        x_focus_ts(BillingPeriodStart) AS BillingPeriodStart,
        NULLIF(CapacityReservationId, '') AS CapacityReservationId,
        NULLIF(CapacityReservationStatus, '') AS CapacityReservationStatus,
        NULLIF(ChargeCategory, '') AS ChargeCategory,
        NULLIF(ChargeClass, '') AS ChargeClass,
        NULLIF(ChargeDescription, '') AS ChargeDescription,
        NULLIF(ChargeFrequency, '') AS ChargeFrequency,
        x_focus_ts(ChargePeriodEnd) AS ChargePeriodEnd,
        x_focus_ts(ChargePeriodStart) AS ChargePeriodStart,
        NULLIF(CommitmentDiscountCategory, '') AS CommitmentDiscountCategory,
        NULLIF(CommitmentDiscountId, '') AS CommitmentDiscountId,
        NULLIF(CommitmentDiscountName, '') AS CommitmentDiscountName,
        x_focus_num(CommitmentDiscountQuantity) AS CommitmentDiscountQuantity,
        NULLIF(CommitmentDiscountStatus, '') AS CommitmentDiscountStatus,
        NULLIF(CommitmentDiscountType, '') AS CommitmentDiscountType,
        NULLIF(CommitmentDiscountUnit, '') AS CommitmentDiscountUnit,
        x_focus_num(ConsumedQuantity) AS ConsumedQuantity,
        NULLIF(ConsumedUnit, '') AS ConsumedUnit,
        x_focus_cost(ContractedCost) AS ContractedCost,
        x_focus_num(ContractedUnitPrice) AS ContractedUnitPrice,
        x_focus_cost(EffectiveCost) AS EffectiveCost,
        COALESCE(NULLIF(HostProviderName, ''), NULLIF(PublisherName, '')) AS HostProviderName,
        NULLIF(InvoiceId, '') AS InvoiceId,
        NULLIF(InvoiceIssuerName, '') AS InvoiceIssuerName,
        x_focus_cost(ListCost) AS ListCost,
        x_focus_num(ListUnitPrice) AS ListUnitPrice,
        NULLIF(PricingCategory, '') AS PricingCategory,
        NULLIF(PricingCurrency, '') AS PricingCurrency,
        x_focus_num(PricingQuantity) AS PricingQuantity,
        NULLIF(PricingUnit, '') AS PricingUnit,
        COALESCE(NULLIF(ProviderName, ''), NULLIF(ServiceProviderName, '')) AS ProviderName,
        COALESCE(NULLIF(PublisherName, ''), NULLIF(HostProviderName, '')) AS PublisherName,
        NULLIF(RegionId, '') AS RegionId,
        NULLIF(RegionName, '') AS RegionName,
        NULLIF(ResourceId, '') AS ResourceId,
        NULLIF(ResourceName, '') AS ResourceName,
        NULLIF(ResourceType, '') AS ResourceType,
        NULLIF(ServiceCategory, '') AS ServiceCategory,
        NULLIF(ServiceName, '') AS ServiceName,
        COALESCE(NULLIF(ServiceProviderName, ''), NULLIF(ProviderName, '')) AS ServiceProviderName,
        NULLIF(ServiceSubcategory, '') AS ServiceSubcategory,
        NULLIF(SkuId, '') AS SkuId,
        NULLIF(SkuMeter, '') AS SkuMeter,
        NULLIF(SkuPriceId, '') AS SkuPriceId,
        NULLIF(SubAccountId, '') AS SubAccountId,
        NULLIF(SubAccountName, '') AS SubAccountName,
        NULLIF(SubAccountType, '') AS SubAccountType,
        CAST(NULLIF(Tags, '') AS JSON) AS Tags,
        NULLIF(to_json(struct_pack(*COLUMNS(* EXCLUDE (
            AvailabilityZone, BilledCost, BillingAccountId, BillingAccountName,
            BillingAccountType, BillingCurrency, BillingPeriodEnd, BillingPeriodStart,
            CapacityReservationId, CapacityReservationStatus, ChargeCategory, ChargeClass,
            ChargeDescription, ChargeFrequency, ChargePeriodEnd, ChargePeriodStart,
            CommitmentDiscountCategory, CommitmentDiscountId, CommitmentDiscountName,
            CommitmentDiscountQuantity, CommitmentDiscountStatus, CommitmentDiscountType,
            CommitmentDiscountUnit, ConsumedQuantity, ConsumedUnit, ContractedCost,
            ContractedUnitPrice, EffectiveCost, HostProviderName, InvoiceId, InvoiceIssuerName,
            ListCost, ListUnitPrice, PricingCategory, PricingCurrency, PricingQuantity,
            PricingUnit, ProviderName, PublisherName, RegionId, RegionName, ResourceId,
            ResourceName, ResourceType, ServiceCategory, ServiceName, ServiceProviderName,
            ServiceSubcategory, SkuId, SkuMeter, SkuPriceId, SubAccountId, SubAccountName,
            SubAccountType, Tags
        )))), '{}') AS x_Extra
    FROM ingest_src($path, $compression, $typed::VARCHAR[])
) s
-- stored in the order the portal reads them (one customer's accounts of one month): the
-- zone maps of each row group then let a customer's read skip the other customers' rows
-- (docs/performance.md, "The portal's reads")
ORDER BY x_Period, ProviderName, SubAccountId, BillingAccountId, ChargePeriodStart
