-- run_start: opens a billing run record and returns its run_id.
-- Parameters: $period DATE, $config_version BIGINT, $tag_keys VARCHAR[] (the tag keys the run's
-- pricing groups are cut by, sorted; the row drill-down cuts rows by the same keys).
INSERT INTO billing_runs (run_id, x_Period, started_at, status, config_version, tag_keys)
SELECT coalesce(max(run_id), 0) + 1, $period, now()::TIMESTAMP, 'running', $config_version,
       $tag_keys::VARCHAR[]
FROM billing_runs
RETURNING run_id;
