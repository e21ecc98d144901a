-- deliveries_periods: the billing periods the given deliveries carry rows for.
-- Returns (x_Period) sorted. Parameters: $ingest_ids BIGINT[].
SELECT DISTINCT x_Period FROM delivery_slices
WHERE list_contains($ingest_ids::BIGINT[], x_IngestId)
ORDER BY x_Period;
