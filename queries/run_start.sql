-- run_start: opens a billing run record and returns its run_id.
-- Parameters: $period DATE, $config_version BIGINT.
INSERT INTO billing_runs (run_id, x_Period, started_at, status, config_version)
SELECT coalesce(max(run_id), 0) + 1, $period, now()::TIMESTAMP, 'running', $config_version
FROM billing_runs
RETURNING run_id;
