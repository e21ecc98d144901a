-- rpt_ops_periods: the billing periods a billing run can price: every period with delivered rows
-- still active in landing, and every period that has a billing run, newest first.
-- Returns x_Period DATE. No parameters.
-- Scope rule: installation-wide operations data: data.console.operations lets only admins of
--   the root organisation call it.
WITH delivered AS (
    SELECT DISTINCT x_Period FROM delivery_slices WHERE status = 'active'
),

billed AS (
    SELECT DISTINCT x_Period FROM billing_runs
),

final AS (
    SELECT x_Period FROM delivered
    UNION
    SELECT x_Period FROM billed
)

SELECT * FROM final ORDER BY x_Period DESC
