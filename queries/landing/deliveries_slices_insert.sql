-- deliveries_slices_insert: one active delivery_slices row per (ProviderName, BillingAccountId,
-- x_Period, BillingCurrency) of the rows just loaded for a delivery, with row count and the sums
-- of ListCost, ContractedCost, BilledCost and EffectiveCost, and x_Through, the latest
-- ChargePeriodStart of its rows (the portal's freshness stamp). Returns the number of slices.
-- Parameters: $ingest_id BIGINT.
INSERT INTO delivery_slices (
    x_IngestId, ProviderName, BillingAccountId, x_Period, BillingCurrency, row_count,
    ListCost, ContractedCost, BilledCost, EffectiveCost, x_Through, status, replaced_by
)
SELECT
    $ingest_id, ProviderName, BillingAccountId, x_Period, BillingCurrency, count(*),
    sum(ListCost), sum(ContractedCost), sum(BilledCost), sum(EffectiveCost),
    max(ChargePeriodStart), 'active', NULL
FROM landing_focus
WHERE x_IngestId = $ingest_id
GROUP BY ProviderName, BillingAccountId, x_Period, BillingCurrency
