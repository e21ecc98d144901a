-- scope_periods: billing periods with a successful billing run, and that period's current run
-- (rpt_current_runs: the latest successful one). Returns x_Period, run_id; newest period first. No parameters.
-- Scope rule: none; which months were billed is not money.
SELECT x_Period, run_id FROM rpt_current_runs ORDER BY x_Period DESC
