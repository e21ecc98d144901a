-- deliveries_totals: per delivery and BillingCurrency, the totals as delivered (all its slices,
-- replaced or not): x_IngestId, BillingCurrency, rows, ListCost, BilledCost, EffectiveCost,
-- ContractedCost (DECIMAL(38,10)). No parameters.
SELECT
    x_IngestId,
    BillingCurrency,
    sum(row_count)::BIGINT AS rows,
    sum(ListCost) AS ListCost,
    sum(BilledCost) AS BilledCost,
    sum(EffectiveCost) AS EffectiveCost,
    sum(ContractedCost) AS ContractedCost
FROM delivery_slices
GROUP BY x_IngestId, BillingCurrency
ORDER BY x_IngestId DESC, BillingCurrency
