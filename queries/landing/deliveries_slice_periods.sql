-- deliveries_slice_periods: the billing periods (x_Period) one delivery carries rows for, sorted.
-- Parameters: $ingest_id BIGINT.
SELECT DISTINCT x_Period
FROM delivery_slices
WHERE x_IngestId = $ingest_id
ORDER BY x_Period
