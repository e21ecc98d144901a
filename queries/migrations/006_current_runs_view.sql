-- Migration 006: the one definition of "the current billing run" of a period (its latest
-- successful run), read by every rpt_ query and by rpt_current_invoices.
CREATE VIEW rpt_current_runs AS
SELECT x_Period, max(run_id) AS run_id
FROM billing_runs
WHERE status = 'ok'
GROUP BY x_Period;
