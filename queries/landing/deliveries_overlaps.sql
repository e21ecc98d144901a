-- deliveries_overlaps: the earlier, still active slices that a new delivery re-delivers, i.e. the
-- same (ProviderName, BillingAccountId, x_Period), whatever the currency: x_IngestId (the earlier
-- delivery), ProviderName, BillingAccountId, x_Period, row_count. These are what it replaces.
-- Parameters: $ingest_id BIGINT (the new delivery, whose slices are already inserted).
SELECT o.x_IngestId, o.ProviderName, o.BillingAccountId, o.x_Period, sum(o.row_count) AS row_count
FROM delivery_slices o
JOIN (
    SELECT DISTINCT ProviderName, BillingAccountId, x_Period
    FROM delivery_slices
    WHERE x_IngestId = $ingest_id
) n ON n.ProviderName = o.ProviderName
   AND n.BillingAccountId = o.BillingAccountId
   AND n.x_Period = o.x_Period
WHERE o.status = 'active' AND o.x_IngestId <> $ingest_id
GROUP BY o.x_IngestId, o.ProviderName, o.BillingAccountId, o.x_Period
ORDER BY o.x_IngestId, o.ProviderName, o.BillingAccountId, o.x_Period
