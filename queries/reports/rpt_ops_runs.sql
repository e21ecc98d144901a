-- rpt_ops_runs: the billing runs of one period, newest first (the latest attempt first, ok or
-- failed).
-- Returns run_id, x_Period, started_at, finished_at, status, config_version, rows_priced,
--   rows_unassigned, rows_unpriced, summary (JSON text: data.billing.BillingSummary.to_json).
-- Parameters: $period DATE, $limit BIGINT.
-- Scope rule: a run spans every tenant: data.console.operations lets only admins of the root
--   organisation call it.
WITH runs AS (
    SELECT * FROM billing_runs WHERE x_Period = $period::DATE
),

final AS (
    SELECT
        run_id, x_Period, started_at, finished_at, status, config_version, rows_priced,
        rows_unassigned, rows_unpriced, summary::VARCHAR AS summary
    FROM runs
)

SELECT * FROM final ORDER BY run_id DESC LIMIT $limit
