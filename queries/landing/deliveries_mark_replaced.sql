-- deliveries_mark_replaced: marks earlier active slices that a new delivery re-delivers (same
-- ProviderName, BillingAccountId, x_Period) as status 'replaced', replaced_by = the new delivery.
-- Returns the number of slices marked. Parameters: $ingest_id BIGINT (the new delivery).
UPDATE delivery_slices AS o
SET status = 'replaced', replaced_by = $ingest_id
FROM (
    SELECT DISTINCT ProviderName, BillingAccountId, x_Period
    FROM delivery_slices
    WHERE x_IngestId = $ingest_id
) n
WHERE o.status = 'active'
  AND o.x_IngestId <> $ingest_id
  AND n.ProviderName = o.ProviderName
  AND n.BillingAccountId = o.BillingAccountId
  AND n.x_Period = o.x_Period
