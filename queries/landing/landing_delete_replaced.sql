-- landing_delete_replaced: deletes the landing rows of earlier deliveries' active slices that a new
-- delivery re-delivers (same ProviderName, BillingAccountId, x_Period; see deliveries_overlaps).
-- Run before deliveries_mark_replaced. Returns the number of rows deleted.
-- Parameters: $ingest_id BIGINT (the new delivery).
DELETE FROM landing_focus AS l
USING (
    SELECT DISTINCT o.x_IngestId, o.ProviderName, o.BillingAccountId, o.x_Period
    FROM delivery_slices o
    JOIN (
        SELECT DISTINCT ProviderName, BillingAccountId, x_Period
        FROM delivery_slices
        WHERE x_IngestId = $ingest_id
    ) n ON n.ProviderName = o.ProviderName
       AND n.BillingAccountId = o.BillingAccountId
       AND n.x_Period = o.x_Period
    WHERE o.status = 'active' AND o.x_IngestId <> $ingest_id
) r
WHERE l.x_IngestId = r.x_IngestId
  AND l.ProviderName = r.ProviderName
  AND l.BillingAccountId = r.BillingAccountId
  AND l.x_Period = r.x_Period
